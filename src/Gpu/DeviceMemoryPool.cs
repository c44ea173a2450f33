using ILGPU;
using ILGPU.Runtime;

namespace BiGS.Native.Gpu;

/// <summary>
/// Device buffers by size class: four classes per doubling (2^k times 1, 1.25, 1.5, 1.75; at least 256 bytes), so a
/// buffer is at most a quarter larger than asked, and from <see cref="LargeBytes"/> on whole multiples of
/// <see cref="LargeGranuleBytes"/> (a model's flat buffers of parameters, gradients and moments are each allocated once,
/// where a quarter would reserve a fifth of them again). Giving a buffer back files it under its class for the next
/// allocation of that class and never synchronises the device: every kernel and copy runs on the accelerator's one
/// stream, so whatever reuses the memory is ordered after everything that used it before. Memory goes back to the
/// driver when an allocation fails (then the pool is emptied and the allocation retried), on Dispose, and beyond
/// <see cref="CacheLimitBytes"/>.
/// </summary>
public sealed class DeviceMemoryPool : IDisposable
{
    private const long MinimumBytes = 256;

    /// <summary>The size from which buffers are rounded up to <see cref="LargeGranuleBytes"/> rather than to a quarter of a doubling.</summary>
    public const long LargeBytes = 32L << 20;

    /// <summary>The rounding of large buffers: 2 MiB (as PyTorch's caching allocator rounds its large blocks).</summary>
    public const long LargeGranuleBytes = 2L << 20;

    private readonly Accelerator accelerator;
    private readonly string description;
    private readonly Dictionary<long, Stack<MemoryBuffer1D<byte, Stride1D.Dense>>> free = [];
    private readonly object gate = new();
    private long liveBytes;
    private long cachedBytes;
    private long reservedBytes;
    private long peakLiveBytes;
    private long peakReservedBytes;
    private long cacheLimitBytes = long.MaxValue;

    /// <summary>A pool over <paramref name="accelerator"/>'s memory.</summary>
    public DeviceMemoryPool(Accelerator accelerator, string description)
    {
        this.accelerator = accelerator;
        this.description = description;
    }

    /// <summary>Bytes asked for by the buffers handed out and not yet given back.</summary>
    public long LiveBytes => Interlocked.Read(ref liveBytes);

    /// <summary>The highest <see cref="LiveBytes"/> so far (what PyTorch calls the peak allocated memory).</summary>
    public long PeakLiveBytes => Interlocked.Read(ref peakLiveBytes);

    /// <summary>The highest number of bytes allocated from the device at once (live and cached buffers, by size class).</summary>
    public long PeakReservedBytes => Interlocked.Read(ref peakReservedBytes);

    /// <summary>Bytes held in the pool's free lists.</summary>
    public long CachedBytes
    {
        get
        {
            lock (gate) return cachedBytes;
        }
    }

    /// <summary>
    /// The most bytes the free lists keep: a buffer given back beyond it is freed (which the driver may synchronise),
    /// and lowering the limit frees cached buffers, largest first, down to it. Unbounded by default: a training step
    /// rents its whole working set again every step, and a limit below that would free and reallocate it every step.
    /// Set it where the process goes on after a large computation and should leave the memory to others.
    /// </summary>
    public long CacheLimitBytes
    {
        get
        {
            lock (gate) return cacheLimitBytes;
        }
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(CacheLimitBytes));
            lock (gate)
            {
                cacheLimitBytes = value;
                FreeLargestBeyondLimit();
            }
        }
    }

    /// <summary>
    /// A buffer of at least <paramref name="bytes"/> (contents undefined); throws <see cref="GpuOutOfMemoryException"/>
    /// when the device cannot provide it even after the pool is emptied.
    /// </summary>
    public PooledBuffer Rent(long bytes)
    {
        long size = SizeClass(bytes);
        MemoryBuffer1D<byte, Stride1D.Dense>? buffer = null;
        lock (gate)
        {
            if (free.TryGetValue(size, out var stack) && stack.Count > 0)
            {
                buffer = stack.Pop();
                cachedBytes -= size;
            }
        }
        buffer ??= AllocateOrTrim(size, bytes);
        RaisePeak(ref peakLiveBytes, Interlocked.Add(ref liveBytes, bytes));
        return new PooledBuffer(this, buffer, bytes);
    }

    /// <summary>Files the buffer under its size class (no synchronisation), or frees it when the cache is full.</summary>
    internal void Return(MemoryBuffer1D<byte, Stride1D.Dense> buffer, long bytes)
    {
        Interlocked.Add(ref liveBytes, -bytes);
        lock (gate)
        {
            if (cachedBytes + buffer.Length > cacheLimitBytes)
            {
                Free(buffer);
                return;
            }
            if (!free.TryGetValue(buffer.Length, out var stack)) free[buffer.Length] = stack = new Stack<MemoryBuffer1D<byte, Stride1D.Dense>>();
            stack.Push(buffer);
            cachedBytes += buffer.Length;
        }
    }

    /// <summary>Frees cached buffers, from the largest size class down, until the cache is within its limit (under the gate).</summary>
    private void FreeLargestBeyondLimit()
    {
        foreach (var (size, stack) in free.OrderByDescending(pair => pair.Key))
            while (cachedBytes > cacheLimitBytes && stack.Count > 0)
            {
                Free(stack.Pop());
                cachedBytes -= size;
            }
    }

    /// <summary>
    /// The size class of a request: the smallest 2^k (1 + j/4) &gt;= bytes, at least 256; from <see cref="LargeBytes"/>
    /// on, bytes rounded up to a multiple of <see cref="LargeGranuleBytes"/>.
    /// </summary>
    public static long SizeClass(long bytes)
    {
        if (bytes <= MinimumBytes) return MinimumBytes;
        if (bytes >= LargeBytes) return (bytes + LargeGranuleBytes - 1) / LargeGranuleBytes * LargeGranuleBytes;
        long power = (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)bytes) / 2;
        for (int quarter = 5; quarter <= 8; quarter++)
        {
            long size = power / 4 * quarter;
            if (size >= bytes) return size;
        }
        return 2 * power;
    }

    /// <summary>Frees every cached buffer (the driver may synchronise here; only done on failure and disposal).</summary>
    public void Trim()
    {
        lock (gate)
        {
            foreach (var stack in free.Values)
                while (stack.Count > 0) Free(stack.Pop());
            free.Clear();
            cachedBytes = 0;
        }
    }

    /// <inheritdoc />
    public void Dispose() => Trim();

    private MemoryBuffer1D<byte, Stride1D.Dense> AllocateOrTrim(long size, long bytes)
    {
        try
        {
            return Allocate(size);
        }
        catch (Exception first) when (IsOutOfMemory(first))
        {
            Trim();
            try
            {
                return Allocate(size);
            }
            catch (Exception second) when (IsOutOfMemory(second))
            {
                throw new GpuOutOfMemoryException(bytes, description, LiveBytes, second);
            }
        }
    }

    private MemoryBuffer1D<byte, Stride1D.Dense> Allocate(long size)
    {
        var buffer = accelerator.Allocate1D<byte>(size);
        RaisePeak(ref peakReservedBytes, Interlocked.Add(ref reservedBytes, size));
        return buffer;
    }

    /// <summary>Gives a buffer back to the device.</summary>
    private void Free(MemoryBuffer1D<byte, Stride1D.Dense> buffer)
    {
        Interlocked.Add(ref reservedBytes, -buffer.Length);
        buffer.Dispose();
    }

    /// <summary>peak = max(peak, value), atomically.</summary>
    private static void RaisePeak(ref long peak, long value)
    {
        long seen = Interlocked.Read(ref peak);
        while (value > seen)
        {
            long previous = Interlocked.CompareExchange(ref peak, value, seen);
            if (previous == seen) return;
            seen = previous;
        }
    }

    private static bool IsOutOfMemory(Exception e) =>
        e is OutOfMemoryException or AcceleratorException or ArgumentOutOfRangeException or OverflowException;
}

/// <summary>A buffer rented from a <see cref="DeviceMemoryPool"/>; disposing it gives it back.</summary>
public sealed class PooledBuffer : IDisposable
{
    private readonly DeviceMemoryPool pool;
    private MemoryBuffer1D<byte, Stride1D.Dense>? buffer;

    internal PooledBuffer(DeviceMemoryPool pool, MemoryBuffer1D<byte, Stride1D.Dense> buffer, long bytes)
    {
        this.pool = pool;
        this.buffer = buffer;
        Bytes = bytes;
    }

    /// <summary>Bytes asked for (the buffer may be larger).</summary>
    public long Bytes { get; }

    /// <summary>The memory as elements of <typeparamref name="T"/> (as many as fit in <see cref="Bytes"/>).</summary>
    public ArrayView<T> As<T>() where T : unmanaged =>
        (buffer ?? throw new ObjectDisposedException(nameof(PooledBuffer))).View.AsContiguous().SubView(0, Bytes).Cast<T>();

    /// <summary>The address of the first byte in the accelerator's address space (a CUDA device pointer on CUDA).</summary>
    public ulong DeviceAddress => (ulong)(buffer ?? throw new ObjectDisposedException(nameof(PooledBuffer))).NativePtr.ToInt64();

    /// <inheritdoc />
    public void Dispose()
    {
        var returned = Interlocked.Exchange(ref buffer, null);
        if (returned != null) pool.Return(returned, Bytes);
    }
}
