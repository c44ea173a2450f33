namespace BiGS.Native.Kernels.Cpu;

/// <summary>
/// Splits CPU work over a fixed number of worker threads: the range is cut into at most
/// <see cref="ThreadCount"/> contiguous blocks (never one task per element), so each core
/// walks its own slice of memory.
/// </summary>
public static class CpuParallel
{
    private static int threadCount = Environment.ProcessorCount;

    /// <summary>Number of worker threads kernels may use (defaults to the processor count).</summary>
    public static int ThreadCount
    {
        get => threadCount;
        set => threadCount = value >= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "thread count must be at least 1");
    }

    /// <summary>
    /// Runs <paramref name="body"/>(begin, end) over disjoint blocks covering [0, count).
    /// Work smaller than <paramref name="minPerBlock"/> items a block runs on the calling thread.
    /// </summary>
    public static void ForBlocks(int count, int minPerBlock, Action<int, int> body)
    {
        if (count <= 0) return;
        int blocks = Math.Min(threadCount, Math.Max(1, count / Math.Max(1, minPerBlock)));
        if (blocks == 1)
        {
            body(0, count);
            return;
        }
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = blocks }, block =>
        {
            int begin = (int)((long)count * block / blocks);
            int end = (int)((long)count * (block + 1) / blocks);
            body(begin, end);
        });
    }
}
