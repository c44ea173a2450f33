using System.Collections.Concurrent;

namespace BiGS.Native.Tensors.Backends;

/// <summary>
/// Reuses host arrays by exact length. A training step allocates the same sizes every time, so exact-length
/// buckets give full reuse without the up-to-2x waste of power-of-two rounding. Small arrays are not pooled;
/// the pool holds at most <see cref="MaxPooledBytes"/>. It also counts the bytes handed out and not yet returned
/// (see <see cref="HostMemory"/>).
/// </summary>
internal static class CpuMemoryPool
{
    private const int MinPooledLength = 1024;
    private static readonly ConcurrentDictionary<(Type, int), ConcurrentBag<Array>> Buckets = new();
    private static long pooledBytes;
    private static long rentedBytes;
    private static long peakBytes;

    /// <summary>
    /// Upper bound on bytes kept for reuse: half the memory available to the process. An array returned past it
    /// is left to the garbage collector, which may not give it back before the next step allocates again, so the
    /// bound is set high enough to hold a whole training step's activations.
    /// </summary>
    public static long MaxPooledBytes { get; set; } = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;

    /// <summary>Bytes of arrays rented and not returned (in use by storages, or dropped without being disposed).</summary>
    public static long RentedBytes => Interlocked.Read(ref rentedBytes);

    /// <summary>Bytes of idle arrays kept for reuse.</summary>
    public static long PooledBytes => Interlocked.Read(ref pooledBytes);

    /// <summary>Highest rented + pooled bytes since the last <see cref="ResetPeak"/>.</summary>
    public static long PeakBytes => Interlocked.Read(ref peakBytes);

    /// <summary>Restarts the peak from the current rented + pooled bytes.</summary>
    public static void ResetPeak() => Interlocked.Exchange(ref peakBytes, RentedBytes + PooledBytes);

    public static T[] Rent<T>(int length, bool zeroed) where T : unmanaged
    {
        long bytes = SizeOf<T>(length);
        if (length >= MinPooledLength && Buckets.TryGetValue((typeof(T), length), out var bag) && bag.TryTake(out var array))
        {
            Interlocked.Add(ref pooledBytes, -bytes);
            Interlocked.Add(ref rentedBytes, bytes);
            var reused = (T[])array;
            if (zeroed) Array.Clear(reused);
            return reused;
        }
        RaisePeak(Interlocked.Add(ref rentedBytes, bytes) + PooledBytes);
        return zeroed ? new T[length] : GC.AllocateUninitializedArray<T>(length);
    }

    public static void Return<T>(T[] array) where T : unmanaged
    {
        long bytes = SizeOf<T>(array.Length);
        Interlocked.Add(ref rentedBytes, -bytes);
        if (array.Length < MinPooledLength) return;
        if (Interlocked.Add(ref pooledBytes, bytes) > MaxPooledBytes)
        {
            Interlocked.Add(ref pooledBytes, -bytes);
            return;
        }
        Buckets.GetOrAdd((typeof(T), array.Length), _ => new ConcurrentBag<Array>()).Add(array);
    }

    /// <summary>Drops every pooled array (for tests and for releasing memory after a big job).</summary>
    public static void Clear()
    {
        Buckets.Clear();
        Interlocked.Exchange(ref pooledBytes, 0);
    }

    private static void RaisePeak(long candidate)
    {
        long seen = Interlocked.Read(ref peakBytes);
        while (candidate > seen)
        {
            long previous = Interlocked.CompareExchange(ref peakBytes, candidate, seen);
            if (previous == seen) return;
            seen = previous;
        }
    }

    private static long SizeOf<T>(int length) where T : unmanaged => (long)length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
}
