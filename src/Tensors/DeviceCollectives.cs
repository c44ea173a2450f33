namespace BiGS.Native.Tensors;

/// <summary>
/// Collective communication on device memory among the processes (ranks) of a job: NCCL's all-reduce on CUDA
/// devices. A GPU layer implements it (BiGS.Native.Gpu, found by name like the devices); data-parallel training
/// sums its gradient buckets with it instead of staging them through host memory.
/// </summary>
public interface IDeviceCollectives : IDisposable
{
    /// <summary>The library and device, for the log ("NCCL 2.21.5 on cuda:0").</summary>
    string Description { get; }

    /// <summary>
    /// Enqueues on the device's stream, after the work already queued there, the in-place sum over all ranks of
    /// <paramref name="buffer"/> (contiguous float32 on this device, a view anywhere in its storage: a staging buffer or
    /// a bucket's run of the flat gradient buffer); returns at once. Work queued later on the
    /// device sees the sums.
    /// </summary>
    void StartAllReduceSum(Tensor buffer);

    /// <summary>True once everything queued on the device so far has completed; throws if a collective failed.</summary>
    bool IsIdle();

    /// <summary>Abandons the collectives in flight (after a peer stopped responding) so that this process can exit.</summary>
    void Abort();
}

/// <summary>Creates <see cref="IDeviceCollectives"/> for a device; implemented by a GPU layer.</summary>
public interface IDeviceCollectivesProvider
{
    /// <summary>
    /// Null when collectives on <paramref name="device"/> can be set up here, otherwise why not (not a CUDA device,
    /// libnccl not installed). Opens the library at most; starts nothing.
    /// </summary>
    string? Unavailability(Device device);

    /// <summary>
    /// Joins rank <paramref name="rank"/> of <paramref name="size"/> ranks, every rank calling it together:
    /// rank 0 creates the job's identifier, <paramref name="broadcastFromRank0"/> must copy those bytes from rank 0
    /// to every rank (an MPI broadcast), and each rank then joins the communicator on <paramref name="device"/>.
    /// </summary>
    IDeviceCollectives Join(Device device, int rank, int size, BroadcastFromRank0 broadcastFromRank0);
}

/// <summary>Copies <paramref name="data"/> from rank 0 to every rank (on rank 0 it is the source).</summary>
public delegate void BroadcastFromRank0(Span<byte> data);

/// <summary>
/// Objects the GPU layer (the BiGS.Native.Gpu assembly) provides, found by type name at run time so that an
/// application without it (CPU only) needs neither it nor ILGPU.
/// </summary>
public static class GpuLayer
{
    /// <summary>
    /// A new instance of the type named by <paramref name="assemblyQualifiedName"/> ("Namespace.Type, Assembly"),
    /// or null when the assembly is absent (or listed but its file, or ILGPU's, is missing).
    /// </summary>
    public static T? Create<T>(string assemblyQualifiedName) where T : class
    {
        Type? type;
        try
        {
            type = Type.GetType(assemblyQualifiedName, throwOnError: false);
        }
        catch (IOException)
        {
            return null;
        }
        return type is null ? null : (T)Activator.CreateInstance(type)!;
    }
}
