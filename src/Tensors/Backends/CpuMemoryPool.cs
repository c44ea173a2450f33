using System.Collections.Concurrent;

namespace BiGS.Native.Tensors.Backends;

/// <summary>
/// Reuses host arrays by exact length. A training step allocates the same sizes every time, so exact-length
/// buckets give full reuse without the up-to-2x waste of power-of-two rounding. Small arrays are not pooled;
/// the pool holds at most <see cref="MaxPooledBytes"/>.
/// </summary>
internal static class CpuMemoryPool
{
    private const int MinPooledLength = 1024;
    private static readonly ConcurrentDictionary<(Type, int), ConcurrentBag<Array>> Buckets = new();
    private static long pooledBytes;

    /// <summary>Upper bound on bytes kept for reuse.</summary>
    public static long MaxPooledBytes { get; set; } = 4L << 30;

    public static T[] Rent<T>(int length, bool zeroed) where T : unmanaged
    {
        if (length >= MinPooledLength && Buckets.TryGetValue((typeof(T), length), out var bag) && bag.TryTake(out var array))
        {
            Interlocked.Add(ref pooledBytes, -SizeOf<T>(length));
            var reused = (T[])array;
            if (zeroed) Array.Clear(reused);
            return reused;
        }
        return zeroed ? new T[length] : GC.AllocateUninitializedArray<T>(length);
    }

    public static void Return<T>(T[] array) where T : unmanaged
    {
        if (array.Length < MinPooledLength) return;
        long bytes = SizeOf<T>(array.Length);
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

    private static long SizeOf<T>(int length) where T : unmanaged => (long)length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
}
