namespace BiGS.Native.Tensors.Backends.Gpu;

/// <summary>
/// Positions grouped by id for a deterministic scatter-add: segment s holds the positions
/// Order[Starts[s] .. Starts[s + 1]) (ascending) whose id is Ids[s].
/// </summary>
internal sealed record IdSegments(int[] Order, int[] Starts, int[] Ids)
{
    /// <summary>Number of distinct ids.</summary>
    public int Count => Ids.Length;

    /// <summary>Groups the positions of <paramref name="ids"/> by id (a stable sort keeps positions ascending).</summary>
    public static IdSegments FromIds(int[] ids)
    {
        var order = Enumerable.Range(0, ids.Length).OrderBy(i => ids[i]).ToArray();
        var starts = new List<int>();
        var distinct = new List<int>();
        for (int j = 0; j < order.Length; j++)
        {
            if (j > 0 && ids[order[j]] == ids[order[j - 1]]) continue;
            starts.Add(j);
            distinct.Add(ids[order[j]]);
        }
        starts.Add(order.Length);
        return new IdSegments(order, [.. starts], [.. distinct]);
    }
}
