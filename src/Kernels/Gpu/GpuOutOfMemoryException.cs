namespace BiGS.Native.Kernels.Gpu;

/// <summary>
/// A device could not provide the memory asked for. The message names the device, the size requested, what this
/// process already holds there and the driver's reason, so the fix (smaller batch or sequence, another device) is clear.
/// </summary>
public sealed class GpuOutOfMemoryException : Exception
{
    /// <summary>Creates the exception for a failed allocation of <paramref name="bytes"/> bytes.</summary>
    public GpuOutOfMemoryException(string device, long bytes, long allocatedBytes, string reason, Exception? inner = null)
        : base($"out of memory on {device}: cannot allocate {bytes} bytes ({Mebibytes(bytes)}) with {Mebibytes(allocatedBytes)} " +
            $"already allocated by this process; {reason}. Use a smaller batch or sequence length, or another device.", inner)
    {
        Device = device;
        Bytes = bytes;
    }

    /// <summary>Description of the device that ran out.</summary>
    public string Device { get; }

    /// <summary>The size of the failed allocation in bytes.</summary>
    public long Bytes { get; }

    private static string Mebibytes(long bytes) => $"{bytes / (1024.0 * 1024.0):F1} MiB";
}
