using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BiGS.Native.Kernels.Cpu;

/// <summary>Which micro-kernel implementation <see cref="GemmMicroKernel"/> runs.</summary>
internal enum GemmKernelPath
{
    /// <summary>12x32 tile in twenty-four 512-bit accumulators (x64 AVX-512F).</summary>
    Avx512,

    /// <summary>6x16 tile in twelve 256-bit accumulators with fused multiply-add (x64 AVX2 + FMA).</summary>
    Avx2Fma,

    /// <summary>The same tile as two 6x8 halves in 128-bit vectors (any CPU with 128-bit SIMD).</summary>
    Vector128,

    /// <summary>Plain scalar loops (no SIMD at all).</summary>
    Scalar,
}

/// <summary>
/// The register-tiled inner kernel of <see cref="Gemm"/>: computes one tile (<see cref="TileRows"/> x
/// <see cref="TileColumns"/>, MR x NR below)
/// <c>C = alpha * (A_panel * B_panel) + beta * C</c> from packed micro-panels, where the A panel holds
/// kc steps of MR values (one column of the tile's rows of op(A) per step) and the B panel holds kc steps
/// of NR values (one row of op(B)'s tile columns per step). Each step is a rank-1 update of the tile:
/// <c>acc[r, j] += a[p, r] * b[p, j]</c>. The tile stays in registers for all kc steps, so C is touched once.
/// When beta is 0 the old C is never read (NaN-safe).
/// </summary>
internal static unsafe class GemmMicroKernel
{
    /// <summary>Rows of C per tile of the 256-bit, 128-bit and scalar paths (rows of each packed A micro-panel).</summary>
    public const int MR = 6;

    /// <summary>Columns of C per tile of the 256-bit, 128-bit and scalar paths: two 256-bit vectors.</summary>
    public const int NR = 16;

    /// <summary>
    /// Rows of C per tile of the AVX-512 path. With two 512-bit vectors of B per step, 12 rows use 24 of the
    /// 32 zmm registers for accumulators, leaving room for B and the broadcast A value.
    /// </summary>
    public const int Avx512MR = 12;

    /// <summary>Columns of C per tile of the AVX-512 path: two 512-bit vectors.</summary>
    public const int Avx512NR = 32;

    /// <summary>The most rows and columns any path's tile has (sizes the scratch edge tile).</summary>
    public const int MaxTileFloats = Avx512MR * Avx512NR;

    /// <summary>The fastest path this CPU supports (AVX-512 unless disabled, e.g. by DOTNET_EnableAVX512F=0).</summary>
    public static GemmKernelPath BestPath { get; } =
        Avx512F.IsSupported ? GemmKernelPath.Avx512
        : Avx2.IsSupported && Fma.IsSupported ? GemmKernelPath.Avx2Fma
        : Vector128.IsHardwareAccelerated ? GemmKernelPath.Vector128
        : GemmKernelPath.Scalar;

    /// <summary>Rows of C per tile of <paramref name="path"/> (rows of each packed A micro-panel).</summary>
    public static int TileRows(GemmKernelPath path) => path == GemmKernelPath.Avx512 ? Avx512MR : MR;

    /// <summary>Columns of C per tile of <paramref name="path"/> (columns of each packed B micro-panel).</summary>
    public static int TileColumns(GemmKernelPath path) => path == GemmKernelPath.Avx512 ? Avx512NR : NR;

    /// <summary>Runs the tile kernel of <paramref name="path"/> on one full tile of C (row stride <paramref name="ldc"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(GemmKernelPath path, int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        switch (path)
        {
            case GemmKernelPath.Avx512: Avx512Tile12x32(kc, a, b, c, ldc, alpha, beta); break;
            case GemmKernelPath.Avx2Fma: Avx2Fma6x16(kc, a, b, c, ldc, alpha, beta); break;
            case GemmKernelPath.Vector128:
                Vector128Half6x8(kc, a, b, c, ldc, alpha, beta);
                Vector128Half6x8(kc, a, b + NR / 2, c + NR / 2, ldc, alpha, beta);
                break;
            default: Scalar6x16(kc, a, b, c, ldc, alpha, beta); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx512Tile12x32(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        PrefetchTile(c, ldc, Avx512MR, Avx512NR);
        // acc{row}{half}: row r of the tile, columns [16*half, 16*half+16).
        Vector512<float> acc00 = default, acc01 = default, acc10 = default, acc11 = default;
        Vector512<float> acc20 = default, acc21 = default, acc30 = default, acc31 = default;
        Vector512<float> acc40 = default, acc41 = default, acc50 = default, acc51 = default;
        Vector512<float> acc60 = default, acc61 = default, acc70 = default, acc71 = default;
        Vector512<float> acc80 = default, acc81 = default, acc90 = default, acc91 = default;
        Vector512<float> accA0 = default, accA1 = default, accB0 = default, accB1 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx512F.LoadAlignedVector512(b);
            var b1 = Avx512F.LoadAlignedVector512(b + 16);
            var ar = Vector512.Create(a[0]);
            acc00 = Avx512F.FusedMultiplyAdd(ar, b0, acc00); acc01 = Avx512F.FusedMultiplyAdd(ar, b1, acc01);
            ar = Vector512.Create(a[1]);
            acc10 = Avx512F.FusedMultiplyAdd(ar, b0, acc10); acc11 = Avx512F.FusedMultiplyAdd(ar, b1, acc11);
            ar = Vector512.Create(a[2]);
            acc20 = Avx512F.FusedMultiplyAdd(ar, b0, acc20); acc21 = Avx512F.FusedMultiplyAdd(ar, b1, acc21);
            ar = Vector512.Create(a[3]);
            acc30 = Avx512F.FusedMultiplyAdd(ar, b0, acc30); acc31 = Avx512F.FusedMultiplyAdd(ar, b1, acc31);
            ar = Vector512.Create(a[4]);
            acc40 = Avx512F.FusedMultiplyAdd(ar, b0, acc40); acc41 = Avx512F.FusedMultiplyAdd(ar, b1, acc41);
            ar = Vector512.Create(a[5]);
            acc50 = Avx512F.FusedMultiplyAdd(ar, b0, acc50); acc51 = Avx512F.FusedMultiplyAdd(ar, b1, acc51);
            ar = Vector512.Create(a[6]);
            acc60 = Avx512F.FusedMultiplyAdd(ar, b0, acc60); acc61 = Avx512F.FusedMultiplyAdd(ar, b1, acc61);
            ar = Vector512.Create(a[7]);
            acc70 = Avx512F.FusedMultiplyAdd(ar, b0, acc70); acc71 = Avx512F.FusedMultiplyAdd(ar, b1, acc71);
            ar = Vector512.Create(a[8]);
            acc80 = Avx512F.FusedMultiplyAdd(ar, b0, acc80); acc81 = Avx512F.FusedMultiplyAdd(ar, b1, acc81);
            ar = Vector512.Create(a[9]);
            acc90 = Avx512F.FusedMultiplyAdd(ar, b0, acc90); acc91 = Avx512F.FusedMultiplyAdd(ar, b1, acc91);
            ar = Vector512.Create(a[10]);
            accA0 = Avx512F.FusedMultiplyAdd(ar, b0, accA0); accA1 = Avx512F.FusedMultiplyAdd(ar, b1, accA1);
            ar = Vector512.Create(a[11]);
            accB0 = Avx512F.FusedMultiplyAdd(ar, b0, accB0); accB1 = Avx512F.FusedMultiplyAdd(ar, b1, accB1);
            a += Avx512MR;
            b += Avx512NR;
        }
        var alphaV = Vector512.Create(alpha);
        StoreRow512(c, acc00, acc01, alphaV, beta);
        StoreRow512(c + ldc, acc10, acc11, alphaV, beta);
        StoreRow512(c + 2 * ldc, acc20, acc21, alphaV, beta);
        StoreRow512(c + 3 * ldc, acc30, acc31, alphaV, beta);
        StoreRow512(c + 4 * ldc, acc40, acc41, alphaV, beta);
        StoreRow512(c + 5 * ldc, acc50, acc51, alphaV, beta);
        StoreRow512(c + 6 * ldc, acc60, acc61, alphaV, beta);
        StoreRow512(c + 7 * ldc, acc70, acc71, alphaV, beta);
        StoreRow512(c + 8 * ldc, acc80, acc81, alphaV, beta);
        StoreRow512(c + 9 * ldc, acc90, acc91, alphaV, beta);
        StoreRow512(c + 10 * ldc, accA0, accA1, alphaV, beta);
        StoreRow512(c + 11 * ldc, accB0, accB1, alphaV, beta);
    }

    /// <summary>c[0..32) = alpha * (lo, hi) + beta * c[0..32), without reading c when beta is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow512(float* c, Vector512<float> lo, Vector512<float> hi, Vector512<float> alpha, float beta)
    {
        if (beta == 0f)
        {
            Vector512.Store(alpha * lo, c);
            Vector512.Store(alpha * hi, c + 16);
            return;
        }
        var betaV = Vector512.Create(beta);
        Vector512.Store(Avx512F.FusedMultiplyAdd(alpha, lo, betaV * Vector512.Load(c)), c);
        Vector512.Store(Avx512F.FusedMultiplyAdd(alpha, hi, betaV * Vector512.Load(c + 16)), c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx2Fma6x16(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        PrefetchTile(c, ldc, MR, NR);
        // acc{row}{half}: row r of the tile, columns [8*half, 8*half+8).
        Vector256<float> acc00 = default, acc01 = default, acc10 = default, acc11 = default;
        Vector256<float> acc20 = default, acc21 = default, acc30 = default, acc31 = default;
        Vector256<float> acc40 = default, acc41 = default, acc50 = default, acc51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx.LoadAlignedVector256(b);
            var b1 = Avx.LoadAlignedVector256(b + 8);
            var ar = Vector256.Create(a[0]);
            acc00 = Fma.MultiplyAdd(ar, b0, acc00); acc01 = Fma.MultiplyAdd(ar, b1, acc01);
            ar = Vector256.Create(a[1]);
            acc10 = Fma.MultiplyAdd(ar, b0, acc10); acc11 = Fma.MultiplyAdd(ar, b1, acc11);
            ar = Vector256.Create(a[2]);
            acc20 = Fma.MultiplyAdd(ar, b0, acc20); acc21 = Fma.MultiplyAdd(ar, b1, acc21);
            ar = Vector256.Create(a[3]);
            acc30 = Fma.MultiplyAdd(ar, b0, acc30); acc31 = Fma.MultiplyAdd(ar, b1, acc31);
            ar = Vector256.Create(a[4]);
            acc40 = Fma.MultiplyAdd(ar, b0, acc40); acc41 = Fma.MultiplyAdd(ar, b1, acc41);
            ar = Vector256.Create(a[5]);
            acc50 = Fma.MultiplyAdd(ar, b0, acc50); acc51 = Fma.MultiplyAdd(ar, b1, acc51);
            a += MR;
            b += NR;
        }
        var alphaV = Vector256.Create(alpha);
        StoreRow256(c, acc00, acc01, alphaV, beta);
        StoreRow256(c + ldc, acc10, acc11, alphaV, beta);
        StoreRow256(c + 2 * ldc, acc20, acc21, alphaV, beta);
        StoreRow256(c + 3 * ldc, acc30, acc31, alphaV, beta);
        StoreRow256(c + 4 * ldc, acc40, acc41, alphaV, beta);
        StoreRow256(c + 5 * ldc, acc50, acc51, alphaV, beta);
    }

    /// <summary>
    /// Asks for the tile's rows of C (each 64 or 128 bytes, over one to three cache lines) to be brought into
    /// cache while the k loop runs, so the final read-modify-write of C does not wait on memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(float* c, nint ldc, int rows, int columns)
    {
        for (int r = 0; r < rows; r++, c += ldc)
        {
            for (int j = 0; j < columns; j += 16)
                Sse.Prefetch0(c + j);
            Sse.Prefetch0(c + columns - 1); // the row's last line when it does not start on a cache line
        }
    }

    /// <summary>c[0..16) = alpha * (lo, hi) + beta * c[0..16), without reading c when beta is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow256(float* c, Vector256<float> lo, Vector256<float> hi, Vector256<float> alpha, float beta)
    {
        if (beta == 0f)
        {
            Vector256.Store(alpha * lo, c);
            Vector256.Store(alpha * hi, c + 8);
            return;
        }
        var betaV = Vector256.Create(beta);
        Vector256.Store(Fma.MultiplyAdd(alpha, lo, betaV * Vector256.Load(c)), c);
        Vector256.Store(Fma.MultiplyAdd(alpha, hi, betaV * Vector256.Load(c + 8)), c + 8);
    }

    /// <summary>One 6x8 half of the tile: B values are read at stride NR from <paramref name="b"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Vector128Half6x8(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector128<float> acc00 = default, acc01 = default, acc10 = default, acc11 = default;
        Vector128<float> acc20 = default, acc21 = default, acc30 = default, acc31 = default;
        Vector128<float> acc40 = default, acc41 = default, acc50 = default, acc51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var ar = Vector128.Create(a[0]);
            acc00 += ar * b0; acc01 += ar * b1;
            ar = Vector128.Create(a[1]);
            acc10 += ar * b0; acc11 += ar * b1;
            ar = Vector128.Create(a[2]);
            acc20 += ar * b0; acc21 += ar * b1;
            ar = Vector128.Create(a[3]);
            acc30 += ar * b0; acc31 += ar * b1;
            ar = Vector128.Create(a[4]);
            acc40 += ar * b0; acc41 += ar * b1;
            ar = Vector128.Create(a[5]);
            acc50 += ar * b0; acc51 += ar * b1;
            a += MR;
            b += NR;
        }
        StoreRow128(c, acc00, acc01, alpha, beta);
        StoreRow128(c + ldc, acc10, acc11, alpha, beta);
        StoreRow128(c + 2 * ldc, acc20, acc21, alpha, beta);
        StoreRow128(c + 3 * ldc, acc30, acc31, alpha, beta);
        StoreRow128(c + 4 * ldc, acc40, acc41, alpha, beta);
        StoreRow128(c + 5 * ldc, acc50, acc51, alpha, beta);
    }

    /// <summary>c[0..8) = alpha * (lo, hi) + beta * c[0..8), without reading c when beta is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow128(float* c, Vector128<float> lo, Vector128<float> hi, float alpha, float beta)
    {
        if (beta == 0f)
        {
            Vector128.Store(alpha * lo, c);
            Vector128.Store(alpha * hi, c + 4);
            return;
        }
        Vector128.Store(alpha * lo + beta * Vector128.Load(c), c);
        Vector128.Store(alpha * hi + beta * Vector128.Load(c + 4), c + 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scalar6x16(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        float* acc = stackalloc float[MR * NR];
        new Span<float>(acc, MR * NR).Clear();
        for (int p = 0; p < kc; p++, a += MR, b += NR)
            for (int r = 0; r < MR; r++)
                for (int j = 0; j < NR; j++)
                    acc[r * NR + j] += a[r] * b[j];
        for (int r = 0; r < MR; r++)
        {
            float* row = c + r * ldc;
            for (int j = 0; j < NR; j++)
                row[j] = beta == 0f ? alpha * acc[r * NR + j] : alpha * acc[r * NR + j] + beta * row[j];
        }
    }
}
