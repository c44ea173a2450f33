using BiGS.Native.Tensors.Backends;

namespace BiGS.Native.Tensors;

/// <summary>
/// How much host memory CPU tensors hold: bytes in use by storages, bytes kept idle by the reuse pool, and the
/// peak of their sum. Cheap counters, always on; use them to see where a step's memory goes.
/// </summary>
public static class HostMemory
{
    /// <summary>Bytes of CPU tensor memory handed out and not given back (storages not yet disposed).</summary>
    public static long InUseBytes => CpuMemoryPool.RentedBytes;

    /// <summary>Bytes of idle arrays the pool keeps for reuse.</summary>
    public static long PooledBytes => CpuMemoryPool.PooledBytes;

    /// <summary>Highest <see cref="InUseBytes"/> + <see cref="PooledBytes"/> since the last <see cref="ResetPeak"/>.</summary>
    public static long PeakBytes => CpuMemoryPool.PeakBytes;

    /// <summary>Restarts <see cref="PeakBytes"/> from the current total.</summary>
    public static void ResetPeak() => CpuMemoryPool.ResetPeak();

    /// <summary>Drops every idle pooled array so the garbage collector can give the memory back.</summary>
    public static void ReleasePooled() => CpuMemoryPool.Clear();
}
