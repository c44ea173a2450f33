using System.Runtime.CompilerServices;
using static BiGS.Native.Kernels.Cpu.GemmMicroKernel;

namespace BiGS.Native.Kernels.Cpu;

/// <summary>
/// The cache-blocked driver of <see cref="Gemm"/> (GotoBLAS/BLIS loop nest), sized for a Zen3 core
/// (32 KiB L1d and 512 KiB L2 per core, 32 MiB shared L3):
/// <code>
/// for jc in steps of NC over columns of C           B panel KC x NC (up to 6 MiB) stays in L3
///   for pc in steps of kc &lt;= KC over k               pack op(B)[pc.., jc..] into PackedB
///     for ic in steps of MC over rows of C           pack op(A)[ic.., pc..] into PackedA (MC x KC = 288 KiB, stays in L2)
///       for jr in steps of NR over the B panel       one B micro-panel (KC x NR = 24 KiB) stays in L1
///         for ir in steps of MR over the A block     micro-kernel: an MR x NR tile of C in registers
/// </code>
/// k is cut into about equal blocks (<see cref="EvenBlock"/>), so no pass over C is spent on a short last block.
/// The first k block applies the caller's beta to C; later k blocks accumulate into it (beta = 1).
/// Threads each take their own range of C's columns (or rows, when C is taller than wide) and run
/// the whole loop nest on it with their own pack buffers, so no two threads write the same C element.
/// The loops are compiled fully optimized on first call (AggressiveOptimization) so that early products,
/// such as the first training steps, do not run through slow tier-0 code.
/// </summary>
internal static unsafe class GemmBlocking
{
    /// <summary>
    /// Largest depth of one packed block along k (a multiple of 8). Chosen over 256 with gemm-vs-openblas on the
    /// BiGS-base shapes: K = 768 then takes two passes over C instead of three.
    /// </summary>
    public const int KC = 384;

    /// <summary>Rows of op(A) packed at once (a multiple of MR).</summary>
    public const int MC = 192;

    /// <summary>Columns of op(B) packed at once (a multiple of NR).</summary>
    public const int NC = 4080;

    /// <summary>Floats in the packed A block buffer.</summary>
    public const int PackedABlockFloats = MC * KC;

    /// <summary>Floats in the packed B panel buffer.</summary>
    public const int PackedBPanelFloats = KC * NC;

    /// <summary>
    /// Below this many multiply-adds per thread (about a millisecond of work), splitting over threads costs
    /// more than it saves: on a busy machine waking a second worker can take longer than the work itself
    /// (measured with gemm-vs-openblas: 256^3 ran slower on two threads than on one under load).
    /// </summary>
    public const long MinMultiplyAddsPerThread = 1L << 24;

    /// <summary>Computes the whole product, split over <see cref="CpuParallel.ThreadCount"/> threads when large enough.</summary>
    public static void Run(in GemmOperands op, GemmKernelPath path)
    {
        var operands = op;
        bool splitColumns = op.N >= op.M;
        int tileWidth = splitColumns ? NR : MR;
        int tiles = CeilDiv(splitColumns ? op.N : op.M, tileWidth);
        long multiplyAddsPerTile = op.MultiplyAdds / tiles;
        int minTilesPerThread = (int)Math.Min(tiles, CeilDiv(MinMultiplyAddsPerThread, Math.Max(1, multiplyAddsPerTile)));
        CpuParallel.ForBlocks(tiles, minTilesPerThread, (first, end) =>
        {
            int begin = first * tileWidth;
            if (splitColumns)
                RunRange(operands, 0, operands.M, begin, Math.Min(end * tileWidth, operands.N), path);
            else
                RunRange(operands, begin, Math.Min(end * tileWidth, operands.M), 0, operands.N, path);
        });
    }

    /// <summary>Computes C[rowBegin..rowEnd, colBegin..colEnd) on the calling thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunRange(in GemmOperands op, int rowBegin, int rowEnd, int colBegin, int colEnd, GemmKernelPath path)
    {
        var buffers = GemmPackBuffers.ForCurrentThread();
        int kStep = EvenBlock(op.K, KC);
        for (int jc = colBegin; jc < colEnd; jc += NC)
        {
            int nc = Math.Min(NC, colEnd - jc);
            for (int pc = 0; pc < op.K; pc += kStep)
            {
                int kc = Math.Min(kStep, op.K - pc);
                float beta = pc == 0 ? op.Beta : 1f;
                GemmPacking.PackB(op, pc, kc, jc, nc, buffers.PackedB);
                for (int ic = rowBegin; ic < rowEnd; ic += MC)
                {
                    int mc = Math.Min(MC, rowEnd - ic);
                    GemmPacking.PackA(op, ic, mc, pc, kc, buffers.PackedA);
                    MacroKernel(path, mc, nc, kc, buffers, op.CAt(ic, jc), op.Ldc, op.Alpha, beta);
                }
            }
        }
    }

    /// <summary>Multiplies the packed A block (mc x kc) by the packed B panel (kc x nc) into the C block at <paramref name="c"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MacroKernel(GemmKernelPath path, int mc, int nc, int kc, GemmPackBuffers buffers,
        float* c, nint ldc, float alpha, float beta)
    {
        for (int jr = 0; jr < nc; jr += NR)
        {
            int cols = Math.Min(NR, nc - jr);
            float* bPanel = buffers.PackedB + jr * kc;
            for (int ir = 0; ir < mc; ir += MR)
            {
                int rows = Math.Min(MR, mc - ir);
                float* aPanel = buffers.PackedA + ir * kc;
                float* cTile = c + ir * ldc + jr;
                if (rows == MR && cols == NR)
                {
                    GemmMicroKernel.Run(path, kc, aPanel, bPanel, cTile, ldc, alpha, beta);
                    continue;
                }
                // Edge tile: compute the full zero-padded tile aside, then merge only the part inside C.
                GemmMicroKernel.Run(path, kc, aPanel, bPanel, buffers.EdgeTile, NR, 1f, 0f);
                MergeEdgeTile(buffers.EdgeTile, cTile, ldc, rows, cols, alpha, beta);
            }
        }
    }

    /// <summary>c[r, j] = alpha * tile[r, j] + beta * c[r, j] for the rows x cols corner (old c unread when beta is 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MergeEdgeTile(float* tile, float* c, nint ldc, int rows, int cols, float alpha, float beta)
    {
        for (int r = 0; r < rows; r++, c += ldc, tile += NR)
            for (int j = 0; j < cols; j++)
                c[j] = beta == 0f ? alpha * tile[j] : alpha * tile[j] + beta * c[j];
    }

    /// <summary>
    /// Block size that cuts <paramref name="total"/> into the fewest blocks of at most <paramref name="max"/>
    /// (a multiple of 8), about equal and rounded up to a multiple of 8 so the packing's 8-step transposes
    /// cover all but the last block: e.g. 768 with max 384 gives 384 + 384, and 400 gives 200 + 200 rather than 384 + 16.
    /// </summary>
    private static int EvenBlock(int total, int max)
    {
        int blocks = CeilDiv(Math.Max(total, 1), max);
        return (CeilDiv(total, blocks) + 7) & ~7;
    }

    private static int CeilDiv(int value, int divisor) => (value + divisor - 1) / divisor;

    private static long CeilDiv(long value, long divisor) => (value + divisor - 1) / divisor;
}
