using System.Runtime.CompilerServices;

namespace BiGS.Native.Kernels.Cpu;

/// <summary>
/// The cache-blocked driver of <see cref="Gemm"/> (GotoBLAS/BLIS loop nest), sized for a Zen3 core
/// (32 KiB L1d and 512 KiB L2 per core, 32 MiB shared L3); the tile MR x NR is the micro-kernel path's
/// (6 x 16 for AVX2, 12 x 32 for AVX-512, whose B micro-panel is 48 KiB):
/// <code>
/// for jc in steps of NC over columns of C           B panel KC x NC (up to 6 MiB) stays in L3
///   for pc in steps of kc &lt;= KC over k               pack op(B)[pc.., jc..] into PackedB
///     for ic in steps of MC over rows of C           pack op(A)[ic.., pc..] into PackedA (MC x KC = 288 KiB, stays in L2)
///       for jr in steps of NR over the B panel       one B micro-panel (KC x NR = 24 KiB) stays in L1
///         for ir in steps of MR over the A block     micro-kernel: an MR x NR tile of C in registers
/// </code>
/// k is cut into about equal blocks (<see cref="KStep"/>), so no pass over C is spent on a short last block.
/// The first k block applies the caller's beta to C; later k blocks accumulate into it (beta = 1).
/// When C is at least as wide as tall, threads each take their own range of C's columns and run the whole
/// loop nest on it with their own pack buffers; when it is taller, they take ranges of rows and, if all of
/// op(B) fits the B buffer, share one packed copy of it (<see cref="RunRowsSharingB"/>). Either way no two
/// threads write the same C element.
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

    /// <summary>Rows of op(A) packed at once (a multiple of every path's MR: 6 and 12).</summary>
    public const int MC = 192;

    /// <summary>Columns of op(B) packed at once (a multiple of every path's NR: 16 and 32).</summary>
    public const int NC = 4064;

    /// <summary>Floats in the packed A block buffer.</summary>
    public const int PackedABlockFloats = MC * KC;

    /// <summary>Floats in the packed B panel buffer.</summary>
    public const int PackedBPanelFloats = KC * NC;

    /// <summary>
    /// Below this many multiply-adds per thread (about 50 microseconds of work at 2 x 2^22 / 170 GFLOP/s), splitting
    /// over threads costs more than it saves. Chosen on a quiet machine with gemm-vs-openblas --threads 2: at 2^24
    /// 256^3 ran on one thread at 0.67x OpenBLAS, at 2^22 it runs on two at 1.00x; the larger shapes do not change.
    /// </summary>
    public const long MinMultiplyAddsPerThread = 1L << 22;

    /// <summary>Computes the whole product, split over <see cref="CpuParallel.ThreadCount"/> threads when large enough.</summary>
    public static void Run(in GemmOperands op, GemmKernelPath path)
    {
        var operands = op;
        var tile = new Tile(path);
        bool splitColumns = op.N >= op.M;
        int tileWidth = splitColumns ? tile.Columns : tile.Rows;
        int tiles = CeilDiv(splitColumns ? op.N : op.M, tileWidth);
        long multiplyAddsPerTile = op.MultiplyAdds / tiles;
        int minTilesPerThread = (int)Math.Min(tiles, CeilDiv(MinMultiplyAddsPerThread, Math.Max(1, multiplyAddsPerTile)));
        bool severalThreads = CpuParallel.ThreadCount > 1 && tiles / minTilesPerThread > 1;
        if (severalThreads && !splitColumns && PackedBFits(op.K, op.N, tile.Columns))
        {
            RunRowsSharingB(op, tile, tiles, minTilesPerThread);
            return;
        }
        CpuParallel.ForBlocks(tiles, minTilesPerThread, (first, end) =>
        {
            int begin = first * tileWidth;
            if (splitColumns)
                RunRange(operands, 0, operands.M, begin, Math.Min(end * tileWidth, operands.N), tile);
            else
                RunRange(operands, begin, Math.Min(end * tileWidth, operands.M), 0, operands.N, tile);
        });
    }

    /// <summary>A micro-kernel path with its tile's rows (MR) and columns (NR).</summary>
    private readonly struct Tile(GemmKernelPath path)
    {
        public readonly GemmKernelPath Path = path;
        public readonly int Rows = GemmMicroKernel.TileRows(path), Columns = GemmMicroKernel.TileColumns(path);
    }

    /// <summary>Computes C[rowBegin..rowEnd, colBegin..colEnd) on the calling thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunRange(in GemmOperands op, int rowBegin, int rowEnd, int colBegin, int colEnd, Tile tile)
    {
        var buffers = GemmPackBuffers.ForCurrentThread();
        int kStep = KStep(op.K);
        for (int jc = colBegin; jc < colEnd; jc += NC)
        {
            int nc = Math.Min(NC, colEnd - jc);
            for (int pc = 0; pc < op.K; pc += kStep)
            {
                int kc = Math.Min(kStep, op.K - pc);
                float beta = pc == 0 ? op.Beta : 1f;
                GemmPacking.PackB(op, pc, kc, jc, nc, buffers.PackedB, tile.Columns);
                for (int ic = rowBegin; ic < rowEnd; ic += MC)
                {
                    int mc = Math.Min(MC, rowEnd - ic);
                    GemmPacking.PackA(op, ic, mc, pc, kc, buffers.PackedA, tile.Rows);
                    MacroKernel(tile, mc, nc, kc, buffers.PackedA, buffers.PackedB, buffers.EdgeTile,
                        op.CAt(ic, jc), op.Ldc, op.Alpha, beta);
                }
            }
        }
    }

    /// <summary>
    /// C taller than wide on several threads, with all of op(B) fitting the B buffer. Split by rows, every thread
    /// would need all of op(B) and pack it for itself; instead the threads first pack op(B) (every k block) once,
    /// together, into the calling thread's B buffer, and then multiply their own rows, packing only their own
    /// A blocks, against that shared copy. (When op(B) does not fit, packing it in chunks would mean packing
    /// every A block once per chunk, which costs more than it saves.)
    /// </summary>
    private static void RunRowsSharingB(GemmOperands op, Tile tile, int rowTiles, int minTilesPerThread)
    {
        float* packedB = GemmPackBuffers.ForCurrentThread().PackedB;
        int kStep = KStep(op.K);
        int kBlocks = CeilDiv(op.K, kStep);
        int nr = tile.Columns, panels = CeilDiv(op.N, nr);
        // k block b starts at packedB + b * kStep * panels * NR; micro-panel q of it q * kc * NR further on.
        nint blockFloats = (nint)kStep * panels * nr;
        CpuParallel.ForBlocks(kBlocks * panels, 1, (first, end) =>
        {
            for (int item = first; item < end; item++)
            {
                (int block, int panel) = Math.DivRem(item, panels);
                int pc = block * kStep, kc = Math.Min(kStep, op.K - pc);
                GemmPacking.PackB(op, pc, kc, panel * nr, Math.Min(nr, op.N - panel * nr),
                    packedB + block * blockFloats + panel * kc * nr, nr);
            }
        });
        CpuParallel.ForBlocks(rowTiles, minTilesPerThread, (first, end) =>
        {
            var buffers = GemmPackBuffers.ForCurrentThread();
            int rowEnd = Math.Min(end * tile.Rows, op.M);
            for (int ic = first * tile.Rows; ic < rowEnd; ic += MC)
            {
                int mc = Math.Min(MC, rowEnd - ic);
                for (int block = 0; block < kBlocks; block++)
                {
                    int pc = block * kStep, kc = Math.Min(kStep, op.K - pc);
                    GemmPacking.PackA(op, ic, mc, pc, kc, buffers.PackedA, tile.Rows);
                    MacroKernel(tile, mc, op.N, kc, buffers.PackedA, packedB + block * blockFloats,
                        buffers.EdgeTile, op.CAt(ic, 0), op.Ldc, op.Alpha, block == 0 ? op.Beta : 1f);
                }
            }
        });
    }

    /// <summary>
    /// Whether op(B), k by <paramref name="n"/>, packed in k blocks of <see cref="KStep"/> and micro-panels of
    /// <paramref name="nr"/> columns, fits the B buffer.
    /// </summary>
    private static bool PackedBFits(int k, int n, int nr) =>
        (long)CeilDiv(k, KStep(k)) * KStep(k) * CeilDiv(n, nr) * nr <= PackedBPanelFloats;

    /// <summary>Multiplies the packed A block (mc x kc) by the packed B panel (kc x nc) into the C block at <paramref name="c"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MacroKernel(Tile tile, int mc, int nc, int kc, float* packedA, float* packedB,
        float* edgeTile, float* c, nint ldc, float alpha, float beta)
    {
        int mr = tile.Rows, nr = tile.Columns;
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* bPanel = packedB + jr * kc;
            for (int ir = 0; ir < mc; ir += mr)
            {
                int rows = Math.Min(mr, mc - ir);
                float* aPanel = packedA + ir * kc;
                float* cTile = c + ir * ldc + jr;
                if (rows == mr && cols == nr)
                {
                    GemmMicroKernel.Run(tile.Path, kc, aPanel, bPanel, cTile, ldc, alpha, beta);
                    continue;
                }
                // Edge tile: compute the full zero-padded tile aside, then merge only the part inside C.
                GemmMicroKernel.Run(tile.Path, kc, aPanel, bPanel, edgeTile, nr, 1f, 0f);
                MergeEdgeTile(edgeTile, nr, cTile, ldc, rows, cols, alpha, beta);
            }
        }
    }

    /// <summary>
    /// c[r, j] = alpha * tile[r, j] + beta * c[r, j] for the rows x cols corner of a tile with rows of
    /// <paramref name="tileColumns"/> floats (old c unread when beta is 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MergeEdgeTile(float* tile, int tileColumns, float* c, nint ldc, int rows, int cols, float alpha, float beta)
    {
        for (int r = 0; r < rows; r++, c += ldc, tile += tileColumns)
            for (int j = 0; j < cols; j++)
                c[j] = beta == 0f ? alpha * tile[j] : alpha * tile[j] + beta * c[j];
    }

    /// <summary>
    /// Depth of the k blocks for a product of depth <paramref name="k"/>: the fewest blocks of at most KC, about
    /// equal and rounded up to a multiple of 8 (the packing transposes 8 k steps at a time), the last taking the
    /// rest: e.g. k = 768 gives 384 + 384, and k = 400 gives 200 + 200 rather than 384 + 16.
    /// </summary>
    private static int KStep(int k)
    {
        int blocks = CeilDiv(Math.Max(k, 1), KC);
        return (CeilDiv(k, blocks) + 7) & ~7;
    }

    private static int CeilDiv(int value, int divisor) => (value + divisor - 1) / divisor;

    private static long CeilDiv(long value, long divisor) => (value + divisor - 1) / divisor;
}
