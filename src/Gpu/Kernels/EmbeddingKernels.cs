using ILGPU;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// Embedding gather and a deterministic scatter-add, all on the device. The backward sorts (id, position) keys with a
/// bitonic network (O(n log^2 n) compare-exchanges), so each id's positions become one run in position order; one
/// thread per (run, column) then adds its run in that order: the same sums, in the same order, on every run, with no
/// atomics and nothing read back to the host. The network's stages whose partners lie within a tile of
/// <see cref="SortTile"/> keys run in shared memory, one launch for all of them: a sort of up to a tile of keys is one
/// launch, a longer one adds a launch per stage with partners a tile or more apart and one per merge of tiles.
/// Rows gathered at strictly increasing ids (<see cref="GatherIncreasing"/>) need no sort: their backward
/// (<see cref="ScatterIncreasing"/>) finds each table row's position by binary search.
/// </summary>
public static class EmbeddingKernels
{
    /// <summary>Keys one group sorts in shared memory (a power of two).</summary>
    public const int SortTile = 2048;

    /// <summary>y[i, d] = table[ids[i], d]; an id outside [0, vocabulary) is reported and gives a zero row.</summary>
    public static void Gather(Index1D i, ArrayView<float> table, ArrayView<int> ids, int dim, int vocabulary, ArrayView<float> y, ArrayView<int> errors)
    {
        int position = i / dim, id = ids[position];
        if (id < 0 || id >= vocabulary)
        {
            if (i % dim == 0) DeviceErrors.Report(errors, DeviceErrors.IdOutOfRange, position, id, vocabulary);
            y[i] = 0f;
            return;
        }
        y[i] = table[(long)id * dim + i % dim];
    }

    /// <summary>
    /// <see cref="Gather"/>, and an id not above the one before it is reported: the ids must be strictly increasing
    /// for <see cref="ScatterIncreasing"/>'s search.
    /// </summary>
    public static void GatherIncreasing(Index1D i, ArrayView<float> table, ArrayView<int> ids, int dim, int vocabulary, ArrayView<float> y, ArrayView<int> errors)
    {
        Gather(i, table, ids, dim, vocabulary, y, errors);
        if (i > 0 && i < ids.IntLength && ids[i] <= ids[i - 1])
            DeviceErrors.Report(errors, DeviceErrors.IdsNotIncreasing, i, ids[i], ids[i - 1]);
    }

    /// <summary>
    /// The backward of a gather at strictly increasing ids, one thread per table element:
    /// dtable[r, d] = dy[i, d] + (accumulate ? dtable[r, d] : 0) where ids[i] = r, else dtable[r, d] (accumulate) or 0.
    /// </summary>
    public static void ScatterIncreasing(Index1D t, ArrayView<int> ids, int dim, ArrayView<float> dy, int accumulate, ArrayView<float> dtable)
    {
        int position = PositionOf(ids, t / dim);
        if (position < 0)
        {
            if (accumulate == 0) dtable[t] = 0f;
            return;
        }
        float gradient = dy[(long)position * dim + t % dim];
        dtable[t] = accumulate == 0 ? gradient : dtable[t] + gradient;
    }

    /// <summary>The position of <paramref name="row"/> in the strictly increasing ids by binary search, -1 when absent.</summary>
    private static int PositionOf(ArrayView<int> ids, int row)
    {
        int low = 0, high = ids.IntLength;
        while (low < high)
        {
            int middle = (low + high) / 2;
            if (ids[middle] < row) low = middle + 1;
            else high = middle;
        }
        return low < ids.IntLength && ids[low] == row ? low : -1;
    }

    /// <summary>
    /// One group per tile of <paramref name="tile"/> keys (a power of two, at most <see cref="SortTile"/>): builds the
    /// keys (id as unsigned) &lt;&lt; 32 | position, long.MaxValue past <paramref name="count"/>, and runs every stage
    /// of the bitonic network with blocks up to the tile in shared memory, leaving tile g sorted ascending for even g
    /// and descending for odd g, as the network's larger blocks need.
    /// </summary>
    public static void SortTiles(ArrayView<int> ids, int count, int tile, ArrayView<long> keys)
    {
        var shared = SharedMemory.Allocate<long>(SortTile);
        int first = Grid.IdxX * tile;
        for (int k = Group.IdxX; k < tile; k += Group.DimX)
        {
            int i = first + k;
            shared[k] = i < count ? (long)((ulong)(uint)ids[i] << 32 | (uint)i) : long.MaxValue;
        }
        Group.Barrier();
        for (int block = 2; block <= tile; block *= 2)
            ExchangeWithinTile(shared, first, tile, block, block / 2);
        StoreTile(shared, first, tile, keys);
    }

    /// <summary>
    /// One group per tile: the stages of block <paramref name="block"/> (above the tile) whose partners lie within the
    /// tile, distances tile/2 down to 1, in shared memory (the stages with farther partners ran as <see cref="BitonicStage"/>).
    /// </summary>
    public static void MergeTiles(ArrayView<long> keys, int tile, int block)
    {
        var shared = SharedMemory.Allocate<long>(SortTile);
        int first = Grid.IdxX * tile;
        for (int k = Group.IdxX; k < tile; k += Group.DimX) shared[k] = keys[first + k];
        Group.Barrier();
        ExchangeWithinTile(shared, first, tile, block, tile / 2);
        StoreTile(shared, first, tile, keys);
    }

    /// <summary>The stages of block <paramref name="block"/> with distances <paramref name="fromDistance"/> down to 1, in shared memory.</summary>
    private static void ExchangeWithinTile(ArrayView<long> shared, int first, int tile, int block, int fromDistance)
    {
        for (int distance = fromDistance; distance > 0; distance /= 2)
        {
            // tile/2 pairs: pair p's lower key sits at p with bit log2(distance) shifted in as 0
            for (int pair = Group.IdxX; pair < tile / 2; pair += Group.DimX)
            {
                int low = (pair / distance) * 2 * distance + pair % distance;
                CompareExchange(shared, low, low + distance, ((first + low) & block) == 0);
            }
            Group.Barrier();
        }
    }

    private static void StoreTile(ArrayView<long> shared, int first, int tile, ArrayView<long> keys)
    {
        for (int k = Group.IdxX; k < tile; k += Group.DimX) keys[first + k] = shared[k];
    }

    /// <summary>
    /// One compare-exchange stage of a bitonic sort (ascending) over a power-of-two number of keys: for block size
    /// <paramref name="block"/> and partner distance <paramref name="distance"/>, key i meets key i ^ distance.
    /// </summary>
    public static void BitonicStage(Index1D i, ArrayView<long> keys, int block, int distance)
    {
        int partner = i ^ distance;
        if (partner > i) CompareExchange(keys, i, partner, (i & block) == 0);
    }

    /// <summary>Orders keys[low] and keys[high] (low &lt; high) ascending or descending.</summary>
    private static void CompareExchange(ArrayView<long> keys, int low, int high, bool ascending)
    {
        long mine = keys[low], theirs = keys[high];
        if (ascending ? mine > theirs : mine < theirs)
        {
            keys[low] = theirs;
            keys[high] = mine;
        }
    }

    /// <summary>
    /// dtable[id, d] += sum of dy[position, d] over the run of sorted keys with that id, in position order; one thread
    /// per (sorted slot, column), of which only the first slot of each run works. Ids outside the table are skipped
    /// (the gather already reported them).
    /// </summary>
    public static void ScatterRuns(Index1D t, ArrayView<long> keys, int count, int dim, int vocabulary, ArrayView<float> dy, ArrayView<float> dtable)
    {
        int slot = t / dim, d = t % dim;
        long id = keys[slot] >> 32;
        if (id >= vocabulary || (slot > 0 && keys[slot - 1] >> 32 == id)) return;
        float total = 0f;
        for (int r = slot; r < count && keys[r] >> 32 == id; r++)
            total += dy[(keys[r] & 0xFFFFFFFFL) * dim + d];
        dtable[id * dim + d] += total;
    }
}
