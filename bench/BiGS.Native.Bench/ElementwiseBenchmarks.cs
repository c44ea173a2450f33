using BenchmarkDotNet.Attributes;
using BiGS.Native.Kernels.Cpu;

namespace BiGS.Native.Bench;

/// <summary>Elementwise kernels at BiGS activation sizes: 4096 tokens x 3072 features.</summary>
[MemoryDiagnoser]
public class ElementwiseBenchmarks
{
    private const int Rows = 4096, Cols = 3072;
    private float[] x = [], b = [], bias = [], dy = [], y = [], dx = [], dbias = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 6 - 3)).ToArray();
        x = Random(Rows * Cols);
        b = Random(Rows * Cols);
        dy = Random(Rows * Cols);
        bias = Random(Cols);
        y = new float[Rows * Cols];
        dx = new float[Rows * Cols];
        dbias = new float[Cols];
    }

    /// <summary>GELU (tanh form) over 12.6M floats.</summary>
    [Benchmark]
    public void GeluTanh() => Elementwise.Unary(UnaryOp.GeluTanh, x, y);

    /// <summary>y = a * b over 12.6M floats (memory bound).</summary>
    [Benchmark]
    public void BinaryMul() => Elementwise.Binary(BinaryOp.Mul, x, b, y);

    /// <summary>y = gelu_tanh(x + bias).</summary>
    [Benchmark]
    public void BiasGeluForward() => BiasGelu.Forward(GeluKind.Tanh, x, bias, Rows, Cols, y);

    /// <summary>dx = dy gelu'(x + bias), dbias += column sums.</summary>
    [Benchmark]
    public void BiasGeluBackward() => BiasGelu.Backward(GeluKind.Tanh, x, bias, dy, Rows, Cols, dx, dbias);
}
