namespace BiGS.Native.Kernels.Cpu;

/// <summary>Embedding lookup (row gather) and its backward (row scatter-add).</summary>
public static class EmbeddingKernel
{
    /// <summary>y[i, :] = table[ids[i], :]; an id outside [0, vocab) throws naming the position and the id.</summary>
    public static unsafe void Gather(ReadOnlySpan<float> table, int vocab, int dim, ReadOnlySpan<int> ids, Span<float> y)
    {
        KernelArguments.RequireMatrix(nameof(table), table.Length, vocab, dim);
        KernelArguments.RequireMatrix(nameof(y), y.Length, ids.Length, dim);
        RequireIds(ids, vocab);
        fixed (float* pt = table, py = y)
        fixed (int* pi = ids)
        {
            var rows = new RawSpan<float>(pt, table.Length);
            var ys = new RawSpan<float>(py, y.Length);
            var idList = new RawSpan<int>(pi, ids.Length);
            CpuParallel.ForBlocks(ids.Length, SimdLoops.RowsPerBlock(dim), (begin, end) =>
            {
                for (int i = begin; i < end; i++)
                    rows.Slice(idList.All[i] * dim, dim).CopyTo(ys.Slice(i * dim, dim));
            });
        }
    }

    /// <summary>
    /// dtable[ids[i], :] (+=) dy[i, :]. Deterministic whatever the thread count: threads own disjoint ranges of
    /// vocabulary rows, and each walks all ids in order, adding only the rows it owns.
    /// </summary>
    public static unsafe void ScatterAdd(ReadOnlySpan<float> dy, ReadOnlySpan<int> ids, int vocab, int dim, Span<float> dtable)
    {
        KernelArguments.RequireMatrix(nameof(dy), dy.Length, ids.Length, dim);
        KernelArguments.RequireMatrix(nameof(dtable), dtable.Length, vocab, dim);
        RequireIds(ids, vocab);
        bool worthThreads = (long)ids.Length * dim >= 2L * SimdLoops.ElementsPerBlock;
        fixed (float* pd = dy, pt = dtable)
        fixed (int* pi = ids)
        {
            var gradients = new RawSpan<float>(pd, dy.Length);
            var rows = new RawSpan<float>(pt, dtable.Length);
            var idList = new RawSpan<int>(pi, ids.Length);
            CpuParallel.ForBlocks(vocab, worthThreads ? 1 : Math.Max(1, vocab), (first, end) =>
            {
                for (int i = 0; i < idList.Length; i++)
                {
                    int id = idList.All[i];
                    if (id < first || id >= end) continue;
                    var row = rows.Slice(id * dim, dim);
                    SimdLoops.Map(new BinaryOperators.AddOp(), row, gradients.Slice(i * dim, dim), row);
                }
            });
        }
    }

    /// <summary>Throws unless every id is above the one before it, naming the first that is not.</summary>
    public static void RequireIncreasing(ReadOnlySpan<int> ids)
    {
        for (int i = 1; i < ids.Length; i++)
            if (ids[i] <= ids[i - 1])
                throw new ArgumentOutOfRangeException(nameof(ids), ids[i], $"SelectIncreasingRows: id {ids[i]} at position {i} is not above the id before it ({ids[i - 1]})");
    }

    private static void RequireIds(ReadOnlySpan<int> ids, int vocab)
    {
        for (int i = 0; i < ids.Length; i++)
            if ((uint)ids[i] >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(ids), ids[i], $"id {ids[i]} at position {i} is outside the vocabulary [0, {vocab})");
    }
}
