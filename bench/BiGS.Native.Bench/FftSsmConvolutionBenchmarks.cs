using BenchmarkDotNet.Attributes;
using BiGS.Native.Kernels.Cpu.Ssm;

namespace BiGS.Native.Bench;

/// <summary>The SSM's FFT causal convolution over (B, L, H) at BiGS sizes.</summary>
[MemoryDiagnoser]
public class FftSsmConvolutionBenchmarks
{
    private float[] input = [];
    private float[] kernel = [];
    private float[] output = [];
    private float[] outputGradient = [];
    private float[] inputGradient = [];
    private float[] kernelGradient = [];

    /// <summary>(batch, length, channels) as "BxLxH".</summary>
    [Params("8x128x768", "2x512x768", "1x4096x768")]
    public string Shape { get; set; } = "";

    private int Batch => int.Parse(Shape.Split('x')[0]);

    private int Length => int.Parse(Shape.Split('x')[1]);

    private int Channels => int.Parse(Shape.Split('x')[2]);

    /// <summary>Random u, K and dy.</summary>
    [GlobalSetup]
    public void Setup()
    {
        input = RandomValues(Batch * Length * Channels, seed: 2);
        kernel = RandomValues(Length, seed: 3);
        output = new float[input.Length];
        outputGradient = RandomValues(input.Length, seed: 4);
        inputGradient = new float[input.Length];
        kernelGradient = new float[Length];
    }

    /// <summary>y = K * u + D u over all channels (multi-threaded).</summary>
    [Benchmark]
    public void Forward() => SsmConvolution.Forward(input, Batch, Length, Channels, kernel, 0.5f, output);

    /// <summary>du, dK and dD from dy (multi-threaded).</summary>
    [Benchmark]
    public float Backward()
    {
        SsmConvolution.Backward(input, outputGradient, Batch, Length, Channels, kernel, 0.5f, inputGradient, kernelGradient, out float dD);
        return dD;
    }

    private static float[] RandomValues(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)(2 * random.NextDouble() - 1);
        return values;
    }
}
