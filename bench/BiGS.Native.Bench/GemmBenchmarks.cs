using BenchmarkDotNet.Attributes;
using BiGS.Native.Kernels.Cpu;

namespace BiGS.Native.Bench;

/// <summary>Our SGEMM (C = A * B, row-major, all threads) on square sizes and the BiGS feed-forward shapes.</summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private float[] a = [], b = [], c = [];
    private int lda, ldb;

    /// <summary>Shapes measured: see <see cref="GemmShape.Standard"/>.</summary>
    public static IEnumerable<GemmShape> Shapes => GemmShape.Standard;

    /// <summary>The shape of the current run.</summary>
    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; }

    /// <summary>Creates the operands for <see cref="Shape"/>.</summary>
    [GlobalSetup]
    public void Setup() => (a, lda, b, ldb, c) = Shape.CreateOperands(transA: false, transB: false);

    /// <summary>One product.</summary>
    [Benchmark]
    public void Sgemm() =>
        Gemm.Sgemm(false, false, Shape.M, Shape.N, Shape.K, 1f, a, lda, b, ldb, 0f, c, Shape.N);
}
