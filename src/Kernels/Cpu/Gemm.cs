using System.Runtime.CompilerServices;

namespace BiGS.Native.Kernels.Cpu;

/// <summary>
/// Single-precision general matrix multiply on row-major matrices:
/// <c>C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C[m,n]</c> with <c>op(X) = X</c> or <c>X^T</c>.
/// Large products run the packed, cache-blocked, multi-threaded kernel (<see cref="GemmBlocking"/>);
/// small ones a direct loop without threading overhead.
/// </summary>
public static unsafe class Gemm
{
    /// <summary>Products with fewer multiply-adds than this (32^3) take the direct path.</summary>
    private const long DirectPathMaxMultiplyAdds = 32 * 32 * 32;

    /// <summary>
    /// The micro-kernel large products run on this processor, with its tile, e.g. "Avx512 12x32" or "Avx2Fma 6x16":
    /// AVX-512 where the runtime enables it (not with <c>DOTNET_EnableAVX512=0</c>), else AVX2, 128-bit or scalar.
    /// </summary>
    public static string MicroKernel { get; } = $"{GemmMicroKernel.BestPath} " +
        $"{GemmMicroKernel.TileRows(GemmMicroKernel.BestPath)}x{GemmMicroKernel.TileColumns(GemmMicroKernel.BestPath)}";

    /// <summary>
    /// <c>C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C[m,n]</c>, where <c>op(X)</c> is X or its transpose.
    /// A is stored (m,k) if not <paramref name="transA"/>, else (k,m); B is stored (k,n) if not
    /// <paramref name="transB"/>, else (n,k). All matrices are row-major with row strides
    /// <paramref name="lda"/>, <paramref name="ldb"/>, <paramref name="ldc"/> (in elements, at least the stored column count).
    /// When <paramref name="beta"/> is 0 the old contents of C are ignored (NaN in C does not propagate);
    /// when <paramref name="alpha"/> is 0 or k is 0, A and B are not read.
    /// </summary>
    /// <exception cref="ArgumentException">A dimension is negative, a row stride is too small, or a span is too short.</exception>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) =>
        SgemmBatched(1, transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, nameof(Sgemm), kernelPath: null);

    /// <summary>
    /// <paramref name="batch"/> independent products as in <see cref="Sgemm"/>; product i reads A from element
    /// <c>i * strideA</c>, B from <c>i * strideB</c> and writes C from <c>i * strideC</c>. A stride of 0 for A or B
    /// broadcasts one matrix across the batch (e.g. the same weight for every batch item). Strides must be
    /// non-negative, and strideC non-zero when batch &gt; 1.
    /// </summary>
    /// <exception cref="ArgumentException">A dimension or stride is invalid, or a span is too short for the batch.</exception>
    public static void SgemmBatched(int batch, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC) =>
        SgemmBatched(batch, transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC,
            nameof(SgemmBatched), kernelPath: null);

    /// <summary>
    /// <see cref="Sgemm"/> forced through the blocked path with the given micro-kernel, whatever the size
    /// (lets tests cover every kernel path on any CPU that can run it).
    /// </summary>
    internal static void SgemmBlocked(GemmKernelPath kernelPath, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) =>
        SgemmBatched(1, transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, nameof(Sgemm), kernelPath);

    /// <summary>
    /// The shared implementation of the entry points above: <paramref name="method"/> names the caller in errors;
    /// a null <paramref name="kernelPath"/> picks the direct path for small products and the best micro-kernel otherwise.
    /// </summary>
    private static void SgemmBatched(int batch, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC, string method, GemmKernelPath? kernelPath)
    {
        var arguments = new GemmArguments(method, batch, m, n, k);
        arguments.RequireOperand("A", "transA", transA, m, k, lda, strideA, a.Length);
        arguments.RequireOperand("B", "transB", transB, k, n, ldb, strideB, b.Length);
        arguments.RequireOperand("C", transName: null, transposed: false, m, n, ldc, strideC, c.Length);
        if (batch > 1 && strideC == 0 && m > 0 && n > 0)
            throw new ArgumentException($"{method}: strideC is 0 for batch {batch}, so every product would write the same C");
        if (batch == 0 || m == 0 || n == 0) return;

        fixed (float* pa = a, pb = b, pc = c)
        {
            var first = new GemmOperands(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            var batchOffsets = (A: (nint)strideA, B: (nint)strideB, C: (nint)strideC);
            // Products too small to split over threads themselves are instead spread over the threads whole.
            long minProductsPerThread = batch > 1 && first.MultiplyAdds < 2 * GemmBlocking.MinMultiplyAddsPerThread
                ? Math.Max(1, GemmBlocking.MinMultiplyAddsPerThread / Math.Max(1, first.MultiplyAdds))
                : batch;
            CpuParallel.ForBlocks(batch, (int)Math.Min(batch, minProductsPerThread), (begin, end) =>
            {
                for (int i = begin; i < end; i++)
                    Multiply(first.Offset(i * batchOffsets.A, i * batchOffsets.B, i * batchOffsets.C), kernelPath);
            });
        }
    }

    private static void Multiply(in GemmOperands op, GemmKernelPath? kernelPath)
    {
        if (op.K == 0 || op.Alpha == 0f)
            GemmDirect.ScaleC(op);
        else if (kernelPath is null && op.MultiplyAdds < DirectPathMaxMultiplyAdds)
            GemmDirect.Multiply(op);
        else
            GemmBlocking.Run(op, kernelPath ?? GemmMicroKernel.BestPath);
    }
}
