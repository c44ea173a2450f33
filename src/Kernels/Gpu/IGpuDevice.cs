namespace BiGS.Native.Kernels.Gpu;

/// <summary>
/// One GPU (or GPU-like) device as a driver layer exposes it: raw buffers, copies and launches of the named kernels
/// from the portable sources in Gpu/Kernels. The OpenCL and CUDA layers implement it; everything above is shared.
/// </summary>
public interface IGpuDevice : IDisposable
{
    /// <summary>A human-readable description (API, index, vendor device name).</summary>
    string Description { get; }

    /// <summary>The largest number of threads one group may have on this device.</summary>
    int MaxGroupSize { get; }

    /// <summary>Bytes held by this device's live buffers (allocated and not yet disposed or finalized).</summary>
    long AllocatedBytes { get; }

    /// <summary>
    /// Allocates <paramref name="bytes"/> of device memory (contents undefined); throws
    /// <see cref="GpuOutOfMemoryException"/> when the device cannot provide it.
    /// </summary>
    IGpuBuffer Allocate(long bytes);

    /// <summary>Sets every byte of the buffer to zero.</summary>
    void Zero(IGpuBuffer buffer);

    /// <summary>Copies host bytes into the buffer at <paramref name="byteOffset"/> (returns when the copy is done).</summary>
    void Write(IGpuBuffer buffer, long byteOffset, ReadOnlySpan<byte> source);

    /// <summary>Copies buffer bytes from <paramref name="byteOffset"/> to the host (waits for pending kernels).</summary>
    void Read(IGpuBuffer buffer, long byteOffset, Span<byte> destination);

    /// <summary>Enqueues the kernel <paramref name="kernel"/> over <paramref name="grid"/> with positional arguments.</summary>
    void Launch(string kernel, GpuGrid grid, ReadOnlySpan<KernelArg> arguments);

    /// <summary>Waits until every enqueued command has finished.</summary>
    void Synchronize();
}

/// <summary>Device memory owned by one <see cref="IGpuDevice"/>; disposing it frees the memory.</summary>
public interface IGpuBuffer : IDisposable
{
    /// <summary>Size in bytes.</summary>
    long Bytes { get; }
}

/// <summary>A launch shape: a grid of groups, each of Local threads, in up to three dimensions.</summary>
/// <param name="Groups">Number of groups per dimension (x, y, z).</param>
/// <param name="Local">Threads per group per dimension (x, y, z).</param>
public readonly record struct GpuGrid((int X, int Y, int Z) Groups, (int X, int Y, int Z) Local)
{
    /// <summary>A 1-D launch of <paramref name="groups"/> groups of <paramref name="local"/> threads.</summary>
    public static GpuGrid Linear(int groups, int local) => new((groups, 1, 1), (local, 1, 1));

    /// <summary>Enough groups of <paramref name="local"/> threads to cover <paramref name="count"/> threads (1-D).</summary>
    public static GpuGrid Covering(long count, int local) => Linear(checked((int)((count + local - 1) / local)), local);
}
