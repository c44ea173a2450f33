namespace BiGS.Native.Bench;

/// <summary>A matrix product shape: op(A) is (M,K), op(B) is (K,N).</summary>
public readonly record struct GemmShape(int M, int K, int N)
{
    /// <summary>Square sizes plus the two BiGS feed-forward products (4096 tokens, hidden 1024, inner 3072).</summary>
    public static readonly GemmShape[] Standard =
    [
        new(256, 256, 256), new(512, 512, 512), new(1024, 1024, 1024), new(2048, 2048, 2048),
        new(4096, 1024, 3072), new(4096, 3072, 1024),
    ];

    /// <summary>Floating-point operations of one product (a multiply and an add per term).</summary>
    public double Flops => 2.0 * M * N * K;

    /// <summary>"MxKxN", e.g. 4096x1024x3072 for (4096x1024) times (1024x3072).</summary>
    public override string ToString() => $"{M}x{K}x{N}";

    /// <summary>Row-major operands with values in [-1, 1) from a fixed seed; A and B stored as op() asks.</summary>
    public (float[] A, int Lda, float[] B, int Ldb, float[] C) CreateOperands(bool transA, bool transB, int seed = 1)
    {
        var random = new Random(seed);
        float[] Values(int count) => Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        return (Values(M * K), transA ? M : K, Values(K * N), transB ? K : N, new float[M * N]);
    }
}
