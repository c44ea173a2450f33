using BiGS.Native.Gpu.Kernels;
using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace BiGS.Native.Gpu;

/// <summary>
/// Column sums (bias and LayerNorm parameter gradients, the SSM backward's cross spectrum) by
/// <see cref="ColumnTileKernels"/>: one launch each, fused with the elementwise backward that produces what they sum,
/// coalesced, deterministic, and spread over enough groups to fill a GPU whatever the number of columns.
/// </summary>
public sealed partial class IlgpuBackend
{
    /// <summary>A tile's columns, lanes and rows on a GPU: a warp reads 32 consecutive floats; 256 threads; 16 rows a thread.</summary>
    private static readonly (int Width, int Lanes, int ChunkRows) GpuColumnTile = (32, 8, 128);

    /// <summary>
    /// The same on ILGPU's CPU accelerator: small groups (see <see cref="CpuAcceleratorRowGroup"/>), still with two
    /// lanes and short chunks, so that the tests there take every path of the kernels (lane and chunk sums).
    /// </summary>
    private static readonly (int Width, int Lanes, int ChunkRows) CpuAcceleratorColumnTile = (2, 2, 16);

    /// <summary>The arrival counters of column-tile and split-k GEMM launches (<see cref="ArrivalCounters"/>), grown on demand, all 0 between launches.</summary>
    private MemoryBuffer1D<int, Stride1D.Dense>? arrivalCounters;

    /// <summary>Counter buffers outgrown by <see cref="arrivalCounters"/>, kept until the backend is disposed (see <see cref="ArrivalCounters"/>).</summary>
    private readonly List<MemoryBuffer1D<int, Stride1D.Dense>> outgrownArrivalCounters = [];

    private readonly Lock arrivalCountersLock = new();

    /// <inheritdoc />
    public void ColumnSums(Tensor x, Tensor sums, bool accumulate) => SumColumns(F(x), x.Size(0), x.Size(1), F(sums), accumulate);

    /// <summary>sums (+)= the column sums of x, a row-major (rows, cols) matrix.</summary>
    private void SumColumns(ArrayView<float> x, int rows, int cols, ArrayView<float> sums, bool accumulate) =>
        OverColumnTiles(rows, cols, 1, (config, tiles, partials, arrivals) =>
            kernels.ColumnSums(config, x, tiles, accumulate ? 1 : 0, partials, arrivals, sums));

    /// <summary>
    /// cross[f] = sum_s Q_s[f] conj(P_s[f]) over <paramref name="sequences"/> complex sequences of n values (interleaved)
    /// in p and q: the rows of a (sequences, n) complex matrix summed by columns.
    /// </summary>
    private void CrossSpectrum(ArrayView<float> p, ArrayView<float> q, int sequences, int n, ArrayView<float> cross) =>
        OverColumnTiles(sequences, n, 2, (config, tiles, partials, arrivals) =>
            kernels.CrossSpectrum(config, p, q, tiles, partials, arrivals, cross));

    /// <inheritdoc />
    public void BiasGeluBackward(GeluKind kind, Tensor x, Tensor bias, Tensor dy, Tensor dx, Tensor dbias) =>
        OverColumnTiles(x.Size(0), x.Size(1), 1, (config, tiles, partials, arrivals) =>
            kernels.BiasGeluBackward(kind)(config, F(x), F(bias), F(dy), tiles, F(dx), partials, arrivals, F(dbias)));

    /// <inheritdoc />
    public void BiasProductBackward(Tensor z, Tensor bias, Tensor gate, Tensor dy, Tensor dz, Tensor dGate, Tensor dbias) =>
        OverColumnTiles(z.Size(0), z.Size(1), 1, (config, tiles, partials, arrivals) =>
            kernels.BiasProductBackward(config, F(z), F(bias), F(gate), F(dy), tiles, F(dz), F(dGate), partials, arrivals, F(dbias)));

    /// <inheritdoc />
    public void GatedGeluBackward(GeluKind kind, Tensor a, Tensor bias, Tensor g, Tensor gateBias, Tensor dy, Tensor da, Tensor dg, Tensor dbias,
        Tensor dGateBias) =>
        OverColumnTiles(a.Size(0), a.Size(1), 2, (config, tiles, partials, arrivals) =>
            kernels.GatedGeluBackward(kind)(config, F(a), F(bias), F(g), F(gateBias), F(dy), tiles, F(da), F(dg), partials, arrivals, F(dbias),
                F(dGateBias)));

    /// <summary>dgamma += sum_r dy xhat, dbeta += sum_r dy over the rows of a LayerNorm backward.</summary>
    private void LayerNormParameterGradients(Tensor x, Tensor mean, Tensor rstd, Tensor dy, Tensor dgamma, Tensor dbeta) =>
        OverColumnTiles(x.Size(0), x.Size(1), 2, (config, tiles, partials, arrivals) =>
            kernels.LayerNormParameterGradients(config, F(x), F(mean), F(rstd), F(dy), tiles, partials, arrivals, F(dgamma), F(dbeta)));

    /// <summary>
    /// Launches a column-tile kernel over a (rows, cols) matrix (<paramref name="launch"/>, given the launch's groups, the
    /// tiles, pooled scratch for <paramref name="sums"/> partial sums per column and chunk, and the arrival counters);
    /// nothing when there are no columns.
    /// </summary>
    private void OverColumnTiles(int rows, int cols, int sums, Action<KernelConfig, ColumnTiles, ArrayView<float>, ArrayView<int>> launch)
    {
        if (cols == 0) return;
        var tiles = ColumnTilesOf(rows, cols);
        using var partials = pool.Rent(tiles.PartialLength(sums) * sizeof(float));
        launch(new KernelConfig(tiles.Groups, tiles.GroupSize), tiles, partials.As<float>(), ArrivalCounters(tiles.ColumnBlocks));
    }

    /// <summary>The tiles of a (rows, cols) matrix for this accelerator.</summary>
    private ColumnTiles ColumnTilesOf(int rows, int cols)
    {
        var (width, lanes, chunkRows) = Accelerator.AcceleratorType == AcceleratorType.CPU ? CpuAcceleratorColumnTile : GpuColumnTile;
        return new ColumnTiles(rows, cols, width, lanes, chunkRows);
    }

    /// <summary>
    /// At least <paramref name="count"/> arrival counters (<see cref="LastArrival"/>: one per column block of a
    /// column-tile launch, one per tile of c of a split-k GEMM). A larger buffer replaces the old one when a launch needs
    /// more (every launch leaves its counters at 0, so nothing is copied); the old one stays allocated until the backend
    /// is disposed, since a launch from another thread may hold it still.
    /// </summary>
    private ArrayView<int> ArrivalCounters(long count)
    {
        lock (arrivalCountersLock)
        {
            if (arrivalCounters is null || arrivalCounters.Length < count)
            {
                if (arrivalCounters is not null) outgrownArrivalCounters.Add(arrivalCounters);
                arrivalCounters = Accelerator.Allocate1D<int>(Math.Max(count, 1024));
                arrivalCounters.View.MemSetToZero();
            }
            return arrivalCounters.View.AsContiguous();
        }
    }
}
