namespace BiGS.Native.Autograd;

/// <summary>
/// Marks the batch being computed on this thread as rows [<see cref="Start"/>, Start + <see cref="Rows"/>) of a
/// larger batch of <see cref="TotalRows"/> rows (data parallelism: each rank computes its shard of the global
/// batch). Random operations that draw per element (dropout) then draw for the whole batch and keep this shard's
/// rows, so that every rank, and a single process on the whole batch, see the same masks.
/// <c>using (BatchShard.Use(start, rows, total)) { ... }</c>
/// </summary>
public sealed class BatchShard : IDisposable
{
    [ThreadStatic] private static BatchShard? current;
    private readonly BatchShard? outer;
    private bool disposed;

    private BatchShard(int start, int rows, int totalRows)
    {
        if (rows < 1 || start < 0 || start + rows > totalRows)
            throw new ArgumentOutOfRangeException(nameof(rows), $"rows [{start}, {start + rows}) are not inside a batch of {totalRows}");
        (Start, Rows, TotalRows, outer) = (start, rows, totalRows, current);
        current = this;
    }

    /// <summary>The shard in effect on this thread, or null when the batch is whole.</summary>
    public static BatchShard? Current => current;

    /// <summary>First row of the shard in the whole batch.</summary>
    public int Start { get; }

    /// <summary>Number of rows of the whole batch this shard holds, from <see cref="Start"/> on.</summary>
    public int Rows { get; }

    /// <summary>Rows of the whole batch.</summary>
    public int TotalRows { get; }

    /// <summary>Opens the scope of a shard; dispose to end it.</summary>
    public static BatchShard Use(int start, int rows, int totalRows) => new(start, rows, totalRows);

    /// <summary>
    /// For a per-element draw over a tensor of this shard (<paramref name="shape"/>, rows first): how many values the
    /// whole batch draws before this shard's rows and after them.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor's first dimension is not the shard's rows.</exception>
    public (long Before, long After) ValuesAround(ReadOnlySpan<int> shape)
    {
        if (shape.Length == 0 || shape[0] != Rows)
            throw new InvalidOperationException($"a random draw over shape [{string.Join(", ", shape.ToArray())}] inside a batch shard of {Rows} rows: the first dimension must be the batch");
        long perRow = 1;
        foreach (int size in shape[1..]) perRow *= size;
        return (Start * perRow, (long)(TotalRows - Start - Rows) * perRow);
    }

    /// <summary>Ends the shard's scope.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        current = outer;
    }
}
