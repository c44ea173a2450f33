namespace BiGS.Native.Kernels.Cpu;

/// <summary>
/// One already-validated product <c>C = alpha * op(A) * op(B) + beta * C</c> over pinned memory
/// (row-major, row strides in elements): what the packing and blocking code reads.
/// </summary>
internal readonly unsafe struct GemmOperands
{
    public readonly float* A;
    public readonly float* B;
    public readonly float* C;
    public readonly nint Lda, Ldb, Ldc;
    public readonly bool TransA, TransB;
    public readonly int M, N, K;
    public readonly float Alpha, Beta;

    public GemmOperands(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        (TransA, TransB, M, N, K, Alpha, Beta) = (transA, transB, m, n, k, alpha, beta);
        A = a;
        B = b;
        C = c;
        (Lda, Ldb, Ldc) = (lda, ldb, ldc);
    }

    /// <summary>The same product on matrices starting the given numbers of elements further on (one batch item).</summary>
    public GemmOperands Offset(nint aElements, nint bElements, nint cElements) =>
        new(TransA, TransB, M, N, K, Alpha, A + aElements, (int)Lda, B + bElements, (int)Ldb, Beta, C + cElements, (int)Ldc);

    /// <summary>Number of multiply-adds of the product, m * n * k.</summary>
    public long MultiplyAdds => (long)M * N * K;

    /// <summary>op(A)[i, p].</summary>
    public float AAt(int i, int p) => TransA ? A[(nint)p * Lda + i] : A[(nint)i * Lda + p];

    /// <summary>op(B)[p, j].</summary>
    public float BAt(int p, int j) => TransB ? B[(nint)j * Ldb + p] : B[(nint)p * Ldb + j];

    /// <summary>Pointer to C[i, j].</summary>
    public float* CAt(int i, int j) => C + (nint)i * Ldc + j;
}
