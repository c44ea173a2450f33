using ILGPU;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// Split-k for the GEMM kernels (<see cref="GemmKernel"/>, <see cref="GemmTensorCoreKernel"/>): the k range is cut
/// into <see cref="Parts"/> parts of <see cref="Depth"/> (a multiple of the kernel's shared-memory stage; the last part
/// may be shorter), and the launch has one group per tile of c and part, so a product with few tiles of c and a long k
/// still fills a GPU. A step on 1024 tokens
/// has 768 x 768 products with k = 1024 (dW) or m = 1024 (forward): 192 groups of 64 threads on an H200's 132
/// multiprocessors, against 2048 threads each can hold.
/// <code>
///   c[i, j] = epilogue( sum over parts p, in order, of sum_{k in part p} a[i, k] b[k, j] )
/// </code>
/// Each group writes its part's sums to <see cref="Partials"/>; the group of a tile that arrives last
/// (<see cref="LastArrival"/>, one counter per tile in <see cref="Arrivals"/>) adds the parts in part order, so c does
/// not depend on which group finished first, and applies the epilogue. With one part there are no partials: the epilogue
/// takes the accumulators as they are.
/// </summary>
/// <param name="Parts">Parts of k (1: not split).</param>
/// <param name="Depth">The k length of each part but the last.</param>
/// <param name="Partials">Tiles x parts x the tile's elements, as <see cref="PartialIndex"/> lays them out (unused with one part).</param>
/// <param name="Arrivals">One counter per tile of c (batches included), 0 before the launch and after it.</param>
public readonly record struct GemmSplitK(int Parts, int Depth, ArrayView<float> Partials, ArrayView<int> Arrivals)
{
    /// <summary>
    /// The depth of each part when k is split in up to <paramref name="splits"/> parts: whole stages of
    /// <paramref name="stage"/> (the kernel's), as even as that allows. Fewer parts may result (<see cref="PartsOf"/>):
    /// 36 in 4 with stages of 16 gives 3 parts of 16, 16 and 4.
    /// </summary>
    public static int DepthFor(int k, int splits, int stage)
    {
        int stages = Math.Max(1, (k + stage - 1) / stage);
        return (stages + splits - 1) / splits * stage;
    }

    /// <summary>The parts k has at <paramref name="depth"/> each (at least one, for k = 0).</summary>
    public static int PartsOf(int k, int depth) => Math.Max(1, (k + depth - 1) / depth);

    /// <summary>The current group's batch and part: the launch's z index is batch x <see cref="Parts"/> + part.</summary>
    public (int Batch, int Part) BatchAndPart()
    {
        int batch = Grid.IdxZ / Parts;
        return (batch, Grid.IdxZ - batch * Parts);
    }

    /// <summary>The current group's tile of c, counted over the launch's batches.</summary>
    public long Tile(int batch) => ((long)batch * Grid.DimY + Grid.IdxY) * Grid.DimX + Grid.IdxX;

    /// <summary>
    /// Where element <paramref name="element"/> (of a thread's <paramref name="perThread"/>) of thread
    /// <paramref name="thread"/> (of <paramref name="threads"/>) goes in part <paramref name="part"/> of tile
    /// <paramref name="tile"/>: consecutive threads at consecutive floats, so a group writes and reads its partials coalesced.
    /// </summary>
    public long PartialIndex(long tile, int part, int element, int perThread, int thread, int threads) =>
        (((tile * Parts + part) * perThread) + element) * threads + thread;

    /// <summary>The sum over parts, in part order, of element <paramref name="element"/> of the thread's partials.</summary>
    public float Total(long tile, int element, int perThread, int thread, int threads)
    {
        float total = 0f;
        for (int part = 0; part < Parts; part++) total += LastArrival.ReadCoherent(Partials, PartialIndex(tile, part, element, perThread, thread, threads));
        return total;
    }
}
