namespace BiGS.Native.Kernels.Cpu;

/// <summary>
/// Reductions over one axis of a contiguous (outer, axis, inner) view, and whole-span sums. Every sum is
/// accumulated in double and in an order fixed by the sizes alone, so results do not depend on the thread count.
/// </summary>
public static class Reductions
{
    /// <summary>Elements summed by one task of <see cref="SumAll"/>, <see cref="Dot"/> and <see cref="SumOfSquares"/>.</summary>
    private const int ChunkLength = 64 * 1024;

    /// <summary>sums[c] (= or +=) sum_r x[r, c] over a row-major (rows, cols) matrix.</summary>
    public static unsafe void ColumnSums(ReadOnlySpan<float> x, int rows, int cols, Span<float> sums, bool accumulate)
    {
        KernelArguments.RequireMatrix(nameof(x), x.Length, rows, cols);
        KernelArguments.RequireLength(nameof(sums), sums.Length, cols, $"{cols} columns");
        fixed (float* px = x)
            ColumnSums(new MatrixElements(new RawSpan<float>(px, x.Length), cols), 1, rows, cols, sums, scale: 1.0, accumulate);
    }

    /// <summary>y[o, i] = sum_a x[o, a, i].</summary>
    public static void Sum(ReadOnlySpan<float> x, int outer, int axis, int inner, Span<float> y) =>
        ReduceAxis(x, outer, axis, inner, y, scale: 1.0);

    /// <summary>y[o, i] = mean_a x[o, a, i] (NaN when axis == 0).</summary>
    public static void Mean(ReadOnlySpan<float> x, int outer, int axis, int inner, Span<float> y) =>
        ReduceAxis(x, outer, axis, inner, y, scale: 1.0 / axis);

    /// <summary>
    /// y[o, i] = max_a x[o, a, i] and argMax[o, i] = the first a reaching it; <paramref name="argMax"/> may be empty.
    /// </summary>
    public static void Max(ReadOnlySpan<float> x, int outer, int axis, int inner, Span<float> y, Span<int> argMax)
    {
        KernelArguments.RequireThreeDims(nameof(x), x.Length, outer, axis, inner);
        KernelArguments.RequireLength(nameof(y), y.Length, (long)outer * inner, $"output shape ({outer}, {inner})");
        if (!argMax.IsEmpty)
            KernelArguments.RequireLength(nameof(argMax), argMax.Length, (long)outer * inner, $"output shape ({outer}, {inner})");
        if (y.IsEmpty) return;
        if (axis == 0)
            throw new ArgumentException($"max over an empty axis (shape ({outer}, 0, {inner})) is undefined", nameof(axis));
        for (int o = 0; o < outer; o++)
        {
            // Walk the axis row by row (cache friendly); a later row replaces the best only when strictly larger,
            // so the first index wins ties.
            var best = y.Slice(o * inner, inner);
            var bestIndex = argMax.IsEmpty ? Span<int>.Empty : argMax.Slice(o * inner, inner);
            x.Slice(o * axis * inner, inner).CopyTo(best);
            bestIndex.Clear();
            for (int a = 1; a < axis; a++)
            {
                var row = x.Slice((o * axis + a) * inner, inner);
                for (int i = 0; i < inner; i++)
                {
                    if (!(row[i] > best[i])) continue;
                    best[i] = row[i];
                    if (!bestIndex.IsEmpty) bestIndex[i] = a;
                }
            }
        }
    }

    /// <summary>Sum of all elements, accumulated in double.</summary>
    public static double SumAll(ReadOnlySpan<float> x) => SumChunks(x, x, static (a, _) => SimdLoops.SumWidened(a));

    /// <summary>sum a[i] b[i] in double (exact products).</summary>
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        KernelArguments.RequireLength(nameof(b), b.Length, a.Length, $"a of length {a.Length}");
        return SumChunks(a, b, static (x, y) => SimdLoops.DotWidened(x, y));
    }

    /// <summary>sum x[i]^2 in double.</summary>
    public static double SumOfSquares(ReadOnlySpan<float> x) => SumChunks(x, x, static (a, b) => SimdLoops.DotWidened(a, b));

    private delegate double ChunkSum(ReadOnlySpan<float> a, ReadOnlySpan<float> b);

    /// <summary>Sums fixed-size chunks in parallel, then adds the chunk sums in order (deterministic).</summary>
    private static unsafe double SumChunks(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ChunkSum chunkSum)
    {
        int chunks = (a.Length + ChunkLength - 1) / ChunkLength;
        if (chunks <= 1) return chunkSum(a, b);
        var partial = new double[chunks];
        fixed (float* pa = a, pb = b)
        {
            var @as = new RawSpan<float>(pa, a.Length);
            var bs = new RawSpan<float>(pb, b.Length);
            int length = a.Length;
            CpuParallel.ForBlocks(chunks, 1, (begin, end) =>
            {
                for (int c = begin; c < end; c++)
                {
                    int start = c * ChunkLength, count = Math.Min(ChunkLength, length - start);
                    partial[c] = chunkSum(@as.Slice(start, count), bs.Slice(start, count));
                }
            });
        }
        double sum = 0;
        foreach (double p in partial) sum += p;
        return sum;
    }

    private static unsafe void ReduceAxis(ReadOnlySpan<float> x, int outer, int axis, int inner, Span<float> y, double scale)
    {
        KernelArguments.RequireThreeDims(nameof(x), x.Length, outer, axis, inner);
        KernelArguments.RequireLength(nameof(y), y.Length, (long)outer * inner, $"output shape ({outer}, {inner})");
        if (y.IsEmpty) return;
        fixed (float* px = x)
        {
            var xs = new RawSpan<float>(px, x.Length);
            if (inner == 1)
            {
                // Each output is a whole contiguous row: SIMD along the row.
                fixed (float* py = y)
                {
                    var ys = new RawSpan<float>(py, y.Length);
                    CpuParallel.ForBlocks(outer, SimdLoops.RowsPerBlock(axis), (begin, end) =>
                    {
                        for (int o = begin; o < end; o++)
                            ys.All[o] = (float)(scale * SimdLoops.SumWidened(xs.Slice(o * axis, axis)));
                    });
                }
                return;
            }
            var term = new MatrixElements(xs, inner);
            ColumnSums(term, outer, axis, inner, y, scale, accumulate: false);
        }
    }

    /// <summary>Columns handled by one task of <see cref="ColumnSums{TTerm}"/> (a multiple of every lane count).</summary>
    private const int ColumnTile = 256;

    /// <summary>
    /// y[o, c] (= or +=) scale * sum_a term(o*axis + a, c), for a term defined on an (outer*axis, inner) matrix.
    /// Parallel over (outer, tile of columns); each column's sum runs down the axis in double, in order.
    /// </summary>
    internal static unsafe void ColumnSums<TTerm>(TTerm term, int outer, int axis, int inner, Span<float> y, double scale, bool accumulate)
        where TTerm : struct, IMatrixTerm
    {
        fixed (float* py = y)
        {
            var ys = new RawSpan<float>(py, y.Length);
            int tiles = (inner + ColumnTile - 1) / ColumnTile;
            int minPerBlock = Math.Max(1, SimdLoops.ElementsPerBlock / Math.Max(1, axis * Math.Min(inner, ColumnTile)));
            CpuParallel.ForBlocks(outer * tiles, minPerBlock, (begin, end) =>
            {
                Span<double> sums = stackalloc double[ColumnTile];
                for (int unit = begin; unit < end; unit++)
                {
                    int o = unit / tiles, c0 = unit % tiles * ColumnTile, width = Math.Min(ColumnTile, inner - c0);
                    SumTile(term, o * axis, axis, c0, width, sums);
                    var target = ys.Slice(o * inner + c0, width);
                    for (int c = 0; c < width; c++)
                        target[c] = (float)(scale * sums[c] + (accumulate ? target[c] : 0.0));
                }
            });
        }
    }

    /// <summary>
    /// sums[c] = sum over rows [firstRow, firstRow + rows) of term(row, c0 + c), in double. Walks row by row
    /// (each row's tile is contiguous in memory) adding a lane vector of columns at a time into the double sums.
    /// </summary>
    private static void SumTile<TTerm>(TTerm term, int firstRow, int rows, int c0, int width, Span<double> sums) where TTerm : struct, IMatrixTerm
    {
        if (Lanes.UseWide) SumTile<TTerm, Lanes16>(term, firstRow, rows, c0, width, sums);
        else SumTile<TTerm, Lanes8>(term, firstRow, rows, c0, width, sums);
    }

    private static void SumTile<TTerm, TLanes>(TTerm term, int firstRow, int rows, int c0, int width, Span<double> sums)
        where TTerm : struct, IMatrixTerm where TLanes : struct, ILaneVector<TLanes>
    {
        // sums has room for width rounded up to the lane count; the zero-padded lanes of a short last chunk add 0.
        sums.Clear();
        for (int r = firstRow; r < firstRow + rows; r++)
            for (int c = 0; c < width; c += TLanes.Count)
                TLanes.AddWidenedTo(term.Load<TLanes>(r, c0 + c, Math.Min(TLanes.Count, width - c)), sums[c..]);
    }
}

/// <summary>A value per (row, column) of a matrix, loaded a lane vector of columns at a time.</summary>
internal interface IMatrixTerm
{
    /// <summary>The values at (row, col .. col + count - 1), zero-padded to the lane count (count &lt;= lanes).</summary>
    TLanes Load<TLanes>(int row, int col, int count) where TLanes : struct, ILaneVector<TLanes>;
}

/// <summary>term(r, c) = x[r, c] of a row-major matrix with <c>cols</c> columns.</summary>
internal readonly struct MatrixElements(RawSpan<float> x, int cols) : IMatrixTerm
{
    public TLanes Load<TLanes>(int row, int col, int count) where TLanes : struct, ILaneVector<TLanes> => SimdLoops.LoadAt<TLanes>(x.All, row * cols + col, count);
}
