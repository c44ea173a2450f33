namespace BiGS.Native.Gpu;

/// <summary>A device could not provide the memory asked for.</summary>
public sealed class GpuOutOfMemoryException : Exception
{
    /// <summary>Creates the exception for a failed request of <paramref name="bytes"/>.</summary>
    public GpuOutOfMemoryException(long bytes, string device, long liveBytes, Exception inner)
        : base($"{device}: cannot allocate {bytes} bytes of device memory ({liveBytes} bytes are in use by live tensors); " +
               "use a smaller batch or sequence length", inner)
    {
        Bytes = bytes;
    }

    /// <summary>The size of the failed request.</summary>
    public long Bytes { get; }
}
