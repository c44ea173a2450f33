using BenchmarkDotNet.Attributes;
using BiGS.Native.Kernels.Cpu;

namespace BiGS.Native.Bench;

/// <summary>LayerNorm forward and backward on 4096 tokens x 1024 features.</summary>
[MemoryDiagnoser]
public class LayerNormBenchmarks
{
    private const int Rows = 4096, Cols = 1024;
    private float[] x = [], gamma = [], beta = [], y = [], mean = [], rstd = [], dy = [], dx = [], dgamma = [], dbeta = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(2);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        x = Random(Rows * Cols);
        dy = Random(Rows * Cols);
        gamma = Random(Cols);
        beta = Random(Cols);
        y = new float[Rows * Cols];
        dx = new float[Rows * Cols];
        mean = new float[Rows];
        rstd = new float[Rows];
        dgamma = new float[Cols];
        dbeta = new float[Cols];
        Forward();
    }

    /// <summary>y, mean, rstd from x.</summary>
    [Benchmark]
    public void Forward() => LayerNormKernel.Forward(x, gamma, beta, Rows, Cols, 1e-12f, y, mean, rstd);

    /// <summary>dx, dgamma, dbeta from dy.</summary>
    [Benchmark]
    public void Backward() => LayerNormKernel.Backward(x, gamma, mean, rstd, dy, Rows, Cols, dx, accumulateDx: false, dgamma, dbeta);
}
