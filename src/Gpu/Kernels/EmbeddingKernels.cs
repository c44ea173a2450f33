using ILGPU;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// Embedding gather and a deterministic scatter-add, all on the device. The backward sorts (id, position) keys with a
/// bitonic network (O(n log^2 n) compare-exchanges over log^2 n launches), so each id's positions become one run in
/// position order; one thread per (run, column) then adds its run in that order: the same sums, in the same order, on
/// every run, with no atomics and nothing read back to the host.
/// </summary>
public static class EmbeddingKernels
{
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

    /// <summary>keys[i] = (id as unsigned) &lt;&lt; 32 | i for the first <paramref name="count"/> slots; long.MaxValue pads the rest.</summary>
    public static void SortKeys(Index1D i, ArrayView<int> ids, int count, ArrayView<long> keys) =>
        keys[i] = i < count ? (long)((ulong)(uint)ids[i] << 32 | (uint)(int)i) : long.MaxValue;

    /// <summary>
    /// One compare-exchange stage of a bitonic sort (ascending) over a power-of-two number of keys: for block size
    /// <paramref name="block"/> and partner distance <paramref name="distance"/>, key i meets key i ^ distance.
    /// </summary>
    public static void BitonicStage(Index1D i, ArrayView<long> keys, int block, int distance)
    {
        int partner = i ^ distance;
        if (partner <= i) return;
        long mine = keys[i], theirs = keys[partner];
        bool ascending = (i & block) == 0;
        if (ascending ? mine > theirs : mine < theirs)
        {
            keys[i] = theirs;
            keys[partner] = mine;
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
