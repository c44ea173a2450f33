using ILGPU;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// Kernels over a row-major (rows, cols) matrix that sum columns: bias and LayerNorm parameter gradients, alone or
/// fused with the elementwise backward whose output they sum, and the SSM convolution's cross spectrum. The matrix is cut into tiles (<see cref="ColumnTiles"/>),
/// one group per tile, whose threads read consecutive columns of a row (coalesced) and keep a running sum per column.
/// The sum of a column is then completed in one launch and in a fixed order, so it is deterministic:
/// <code>
/// partial[chunk][c] = sum over the group's lanes, in lane order, of each lane's sum over its rows of the chunk
/// sum[c] (+)= sum over chunks, in chunk order (lane l adding chunks l, l + Lanes, ...; then the lanes in order)
/// </code>
/// The second line is done by whichever group of a column block finishes last (<see cref="LastArrival"/>): each group
/// writes its partials and counts itself in the block's arrival counter; the group that counts last reads every chunk's
/// partials and resets the counter to 0 for the next launch.
/// </summary>
public static class ColumnTileKernels
{
    /// <summary>The largest group (<see cref="ColumnTiles.GroupSize"/>) the kernels support (their shared scratch).</summary>
    public const int MaxGroup = 256;

    /// <summary>sums[c] = sum_r x[r, c], added onto the old sums when <paramref name="accumulate"/> is 1.</summary>
    public static void ColumnSums(ArrayView<float> x, ColumnTiles tiles, int accumulate, ArrayView<float> partials, ArrayView<int> arrivals,
        ArrayView<float> sums)
    {
        var cell = TileCell.Of(tiles);
        float total = 0f;
        for (int row = cell.FirstRow; row < cell.EndRow; row += tiles.Lanes) total += x[tiles.Index(row, cell.Column)];
        FinishSums(tiles, cell, 1, total, 0f, partials, arrivals, accumulate, sums, sums);
    }

    /// <summary>dx = dy gelu'(x + bias) (bias per column), and dbias += sum_r dx[r, :].</summary>
    public static void BiasGeluBackward<TGelu>(ArrayView<float> x, ArrayView<float> bias, ArrayView<float> dy, ColumnTiles tiles,
        ArrayView<float> dx, ArrayView<float> partials, ArrayView<int> arrivals, ArrayView<float> dbias)
        where TGelu : struct, IUnaryFunction
    {
        var cell = TileCell.Of(tiles);
        float columnBias = PerColumn(bias, tiles, cell), total = 0f;
        for (int row = cell.FirstRow; row < cell.EndRow; row += tiles.Lanes)
        {
            long i = tiles.Index(row, cell.Column);
            float gradient = dy[i] * default(TGelu).Derivative(x[i] + columnBias, 0f);
            dx[i] = gradient;
            total += gradient;
        }
        FinishSums(tiles, cell, 1, total, 0f, partials, arrivals, accumulate: 1, dbias, dbias);
    }

    /// <summary>Backward of y = (z + bias) gate: dz = dy gate, dGate = dy (z + bias), and dbias += sum_r dz[r, :].</summary>
    public static void BiasProductBackward(ArrayView<float> z, ArrayView<float> bias, ArrayView<float> gate, ArrayView<float> dy, ColumnTiles tiles,
        ArrayView<float> dz, ArrayView<float> dGate, ArrayView<float> partials, ArrayView<int> arrivals, ArrayView<float> dbias)
    {
        var cell = TileCell.Of(tiles);
        float columnBias = PerColumn(bias, tiles, cell), total = 0f;
        for (int row = cell.FirstRow; row < cell.EndRow; row += tiles.Lanes)
        {
            long i = tiles.Index(row, cell.Column);
            float gradient = dy[i] * gate[i];
            dz[i] = gradient;
            dGate[i] = dy[i] * (z[i] + columnBias);
            total += gradient;
        }
        FinishSums(tiles, cell, 1, total, 0f, partials, arrivals, accumulate: 1, dbias, dbias);
    }

    /// <summary>
    /// Backward of the gated pair y = gelu(a + bias) gelu(g + gateBias): da = dy gelu(g + gateBias) gelu'(a + bias),
    /// dg = dy gelu(a + bias) gelu'(g + gateBias), and the bias gradients dbias += sum_r da[r, :], dGateBias += sum_r dg[r, :].
    /// </summary>
    public static void GatedGeluBackward<TGelu>(ArrayView<float> a, ArrayView<float> bias, ArrayView<float> g, ArrayView<float> gateBias,
        ArrayView<float> dy, ColumnTiles tiles, ArrayView<float> da, ArrayView<float> dg, ArrayView<float> partials, ArrayView<int> arrivals,
        ArrayView<float> dbias, ArrayView<float> dGateBias)
        where TGelu : struct, IUnaryFunction
    {
        var cell = TileCell.Of(tiles);
        var gelu = default(TGelu);
        float columnBias = PerColumn(bias, tiles, cell), columnGateBias = PerColumn(gateBias, tiles, cell), totalA = 0f, totalG = 0f;
        for (int row = cell.FirstRow; row < cell.EndRow; row += tiles.Lanes)
        {
            long i = tiles.Index(row, cell.Column);
            float gated = a[i] + columnBias, gate = g[i] + columnGateBias, gradient = dy[i];
            float gradientA = gradient * gelu.Apply(gate) * gelu.Derivative(gated, 0f);
            float gradientG = gradient * gelu.Apply(gated) * gelu.Derivative(gate, 0f);
            da[i] = gradientA;
            dg[i] = gradientG;
            totalA += gradientA;
            totalG += gradientG;
        }
        FinishSums(tiles, cell, 2, totalA, totalG, partials, arrivals, accumulate: 1, dbias, dGateBias);
    }

    /// <summary>
    /// LayerNorm's parameter gradients, with xhat = (x - mean) rstd per row: dgamma += sum_r dy xhat, dbeta += sum_r dy.
    /// </summary>
    public static void LayerNormParameterGradients(ArrayView<float> x, ArrayView<float> mean, ArrayView<float> rstd, ArrayView<float> dy,
        ColumnTiles tiles, ArrayView<float> partials, ArrayView<int> arrivals, ArrayView<float> dgamma, ArrayView<float> dbeta)
    {
        var cell = TileCell.Of(tiles);
        float sumDyXhat = 0f, sumDy = 0f;
        for (int row = cell.FirstRow; row < cell.EndRow; row += tiles.Lanes)
        {
            long i = tiles.Index(row, cell.Column);
            sumDyXhat += dy[i] * (x[i] - mean[row]) * rstd[row];
            sumDy += dy[i];
        }
        FinishSums(tiles, cell, 2, sumDyXhat, sumDy, partials, arrivals, accumulate: 1, dgamma, dbeta);
    }

    /// <summary>
    /// The cross spectrum of the SSM convolution's kernel gradient, summed over the packed complex sequences (the rows;
    /// the columns are the n frequencies, interleaved re, im): cross[f] = sum_s Q_s[f] conj(P_s[f]), i.e.
    /// re = sum_s (Re Q Re P + Im Q Im P), im = sum_s (Im Q Re P - Re Q Im P). Its inverse FFT is the correlation
    /// sum_t a_dy[t] a_u[t - k] + b_dy[t] b_u[t - k] of both columns of every pair (<c>FftKernels</c>).
    /// </summary>
    public static void CrossSpectrum(ArrayView<float> p, ArrayView<float> q, ColumnTiles tiles, ArrayView<float> partials, ArrayView<int> arrivals,
        ArrayView<float> cross)
    {
        var cell = TileCell.Of(tiles);
        float re = 0f, im = 0f;
        for (int row = cell.FirstRow; row < cell.EndRow; row += tiles.Lanes)
        {
            long i = 2 * tiles.Index(row, cell.Column);
            re += q[i] * p[i] + q[i + 1] * p[i + 1];
            im += q[i + 1] * p[i] - q[i] * p[i + 1];
        }
        FinishSums(tiles, cell, 2, re, im, partials, arrivals, accumulate: 0, cross, cross.SubView(1), sumStride: 2);
    }

    /// <summary>
    /// The thread's column's value of a per-column vector (a bias), read once before the row loop rather than once per
    /// row; 0 for a thread past the last column, which has no rows.
    /// </summary>
    private static float PerColumn(ArrayView<float> values, ColumnTiles tiles, TileCell cell) => cell.Column < tiles.Cols ? values[cell.Column] : 0f;

    /// <summary>
    /// Completes <paramref name="count"/> (1 or 2) column sums from each thread's running sums <paramref name="first"/>
    /// and <paramref name="second"/> (see the class summary). <paramref name="partials"/> holds count x chunks x cols
    /// floats; <paramref name="arrivals"/> one counter per column block, 0 before the launch and after it. Column c's
    /// sums go to element c * <paramref name="sumStride"/> of their targets.
    /// </summary>
    private static void FinishSums(ColumnTiles tiles, TileCell cell, int count, float first, float second, ArrayView<float> partials,
        ArrayView<int> arrivals, int accumulate, ArrayView<float> firstSums, ArrayView<float> secondSums, int sumStride = 1)
    {
        var scratch = SharedMemory.Allocate<float>(2 * MaxGroup);
        bool writes = cell.Lane == 0 && cell.Column < tiles.Cols;
        scratch[Group.IdxX] = first;
        scratch[MaxGroup + Group.IdxX] = second;
        Group.Barrier();
        for (int s = 0; s < count && writes; s++) partials[tiles.PartialIndex(s, cell.Chunk, cell.Column)] = SumOverLanes(scratch, s, tiles, cell);

        if (!LastArrival.ArrivesLast(arrivals, cell.Block, tiles.Chunks)) return;
        for (int s = 0; s < count; s++)
        {
            float total = 0f;
            if (cell.Column < tiles.Cols)
                for (int chunk = cell.Lane; chunk < tiles.Chunks; chunk += tiles.Lanes) total += LastArrival.ReadCoherent(partials, tiles.PartialIndex(s, chunk, cell.Column));
            scratch[s * MaxGroup + Group.IdxX] = total;
        }
        Group.Barrier();
        long at = (long)cell.Column * sumStride;
        for (int s = 0; s < count && writes; s++)
        {
            var sums = s == 0 ? firstSums : secondSums;
            sums[at] = SumOverLanes(scratch, s, tiles, cell) + (accumulate != 0 ? sums[at] : 0f);
        }
        LastArrival.Reset(arrivals, cell.Block);
    }

    /// <summary>Sum <paramref name="s"/>'s values of the thread's column over the group's lanes, in lane order.</summary>
    private static float SumOverLanes(ArrayView<float> scratch, int s, ColumnTiles tiles, TileCell cell)
    {
        float total = 0f;
        for (int lane = 0; lane < tiles.Lanes; lane++) total += scratch[s * MaxGroup + lane * tiles.Width + cell.Column % tiles.Width];
        return total;
    }
}

/// <summary>
/// A row-major (Rows, Cols) matrix cut into tiles of <see cref="Width"/> columns by <see cref="ChunkRows"/> rows for
/// <see cref="ColumnTileKernels"/>: one group of <see cref="Width"/> x <see cref="Lanes"/> threads per tile, thread t
/// on column t % Width of the tile and lane t / Width, visiting rows lane, lane + Lanes, ... of the chunk, so
/// consecutive threads read consecutive floats of a row. Group g takes column block g % ColumnBlocks and row chunk
/// g / ColumnBlocks.
/// </summary>
public readonly record struct ColumnTiles(int Rows, int Cols, int Width, int Lanes, int ChunkRows)
{
    /// <summary>Tiles across a row.</summary>
    public int ColumnBlocks => (Cols + Width - 1) / Width;

    /// <summary>Tiles down a column; at least one, so that a matrix with no rows still writes its sums (0, or the old ones).</summary>
    public int Chunks => Math.Max(1, (Rows + ChunkRows - 1) / ChunkRows);

    /// <summary>Groups of a launch: one per tile.</summary>
    public int Groups => ColumnBlocks * Chunks;

    /// <summary>Threads per group.</summary>
    public int GroupSize => Width * Lanes;

    /// <summary>Floats of scratch for <paramref name="count"/> sums of each chunk.</summary>
    public long PartialLength(int count) => (long)count * Chunks * Cols;

    /// <summary>The flat index of element (row, column).</summary>
    public long Index(int row, int column) => (long)row * Cols + column;

    /// <summary>Where chunk <paramref name="chunk"/>'s partial of sum <paramref name="s"/> of a column goes.</summary>
    public long PartialIndex(int s, int chunk, int column) => ((long)s * Chunks + chunk) * Cols + column;
}

/// <summary>What one thread of a <see cref="ColumnTiles"/> launch works on: its column, lane, tile and rows [FirstRow, EndRow) by Lanes.</summary>
internal readonly record struct TileCell(int Block, int Chunk, int Column, int Lane, int FirstRow, int EndRow)
{
    /// <summary>The current thread's cell; a thread past the last column gets no rows.</summary>
    public static TileCell Of(ColumnTiles tiles)
    {
        int block = Grid.IdxX % tiles.ColumnBlocks, chunk = Grid.IdxX / tiles.ColumnBlocks;
        int column = block * tiles.Width + Group.IdxX % tiles.Width, lane = Group.IdxX / tiles.Width;
        int firstRow = chunk * tiles.ChunkRows + lane;
        int chunkEnd = (chunk + 1) * tiles.ChunkRows;
        int endRow = column >= tiles.Cols ? firstRow : chunkEnd < tiles.Rows ? chunkEnd : tiles.Rows;
        return new TileCell(block, chunk, column, lane, firstRow, endRow);
    }
}
