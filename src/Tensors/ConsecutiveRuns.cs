namespace BiGS.Native.Tensors;

/// <summary>Splits a sequence into maximal runs of consecutive items that continue one another.</summary>
public static class ConsecutiveRuns
{
    /// <summary>
    /// The maximal runs of <paramref name="items"/>, in order, as their first and last items: an item joins the run
    /// of the item before it when <paramref name="continues"/>(before, item) holds, and starts a new run otherwise.
    /// </summary>
    public static List<(T First, T Last)> Of<T>(IEnumerable<T> items, Func<T, T, bool> continues) where T : class
    {
        var runs = new List<(T First, T Last)>();
        foreach (var item in items)
        {
            if (runs.Count > 0 && continues(runs[^1].Last, item)) runs[^1] = (runs[^1].First, item);
            else runs.Add((item, item));
        }
        return runs;
    }
}
