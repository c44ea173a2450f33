namespace BiGS.Native.Kernels.Cpu;

/// <summary>
/// One already-validated product <c>C = alpha * op(A) * op(B) + beta * C</c> over pinned memory
/// (row-major, row strides in elements): what the packing and blocking code reads.
/// </summary>
internal readonly unsafe struct GemmOperands
{
    /// <summary>First element of A, stored (M,K), or (K,M) when <see cref="TransA"/>.</summary>
    public readonly float* A;

    /// <summary>First element of B, stored (K,N), or (N,K) when <see cref="TransB"/>.</summary>
    public readonly float* B;

    /// <summary>First element of C, (M,N).</summary>
    public readonly float* C;

    /// <summary>Row strides of the stored A, B and C in elements.</summary>
    public readonly nint Lda, Ldb, Ldc;

    /// <summary>Whether op(A) = A^T and op(B) = B^T.</summary>
    public readonly bool TransA, TransB;

    /// <summary>op(A) is (M,K), op(B) is (K,N), C is (M,N).</summary>
    public readonly int M, N, K;

    /// <summary>Scale of the product and of the old C.</summary>
    public readonly float Alpha, Beta;

    /// <summary>Captures one product (arguments as in <see cref="Gemm.Sgemm"/>, spans replaced by pinned pointers).</summary>
    public GemmOperands(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, nint lda, float* b, nint ldb, float beta, float* c, nint ldc)
    {
        (TransA, TransB, M, N, K, Alpha, Beta) = (transA, transB, m, n, k, alpha, beta);
        A = a;
        B = b;
        C = c;
        (Lda, Ldb, Ldc) = (lda, ldb, ldc);
    }

    /// <summary>The same product on matrices starting the given numbers of elements further on (one batch item).</summary>
    public GemmOperands Offset(nint aElements, nint bElements, nint cElements) =>
        new(TransA, TransB, M, N, K, Alpha, A + aElements, Lda, B + bElements, Ldb, Beta, C + cElements, Ldc);

    /// <summary>Number of multiply-adds of the product, m * n * k.</summary>
    public long MultiplyAdds => (long)M * N * K;

    // op(A)[i, p]: A transposed or not.
    public float AAt(int i, int p) => TransA ? A[(nint)p * Lda + i] : A[(nint)i * Lda + p];

    // op(B)[p, j]: B transposed or not.
    public float BAt(int p, int j) => TransB ? B[(nint)j * Ldb + p] : B[(nint)p * Ldb + j];

    // Pointer to C[i, j] (row stride Ldc).
    public float* CAt(int i, int j) => C + (nint)i * Ldc + j;
}
