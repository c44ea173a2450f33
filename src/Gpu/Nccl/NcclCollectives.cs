using BiGS.Native.Tensors;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace BiGS.Native.Gpu.Nccl;

/// <summary>
/// One rank's NCCL communicator on a CUDA device: all-reduces run on the device buffers of ILGPU's default stream
/// (the stream every kernel of <see cref="IlgpuBackend"/> runs on), so they follow the kernels that filled the
/// buffer and precede those that read it, without the host waiting. Dispose is ncclCommDestroy.
/// Unmeasured and untested on hardware: the project's machines have no GPU and no NCCL.
/// </summary>
internal sealed unsafe class NcclCollectives : IDeviceCollectives
{
    private readonly NcclNative nccl;
    private readonly Device device;
    private readonly IntPtr stream;
    private IntPtr communicator;

    private NcclCollectives(NcclNative nccl, Device device, IntPtr stream, IntPtr communicator, string version)
    {
        this.nccl = nccl;
        this.device = device;
        this.stream = stream;
        this.communicator = communicator;
        Description = $"NCCL {version} on {device}";
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <summary>
    /// ncclGetUniqueId on rank 0, the identifier broadcast to every rank, then ncclCommInitRank on
    /// <paramref name="backend"/>'s CUDA context (made current on this thread first, as NCCL takes the current one).
    /// </summary>
    public static NcclCollectives Join(NcclNative nccl, IlgpuBackend backend, int rank, int size, BroadcastFromRank0 broadcastFromRank0)
    {
        var accelerator = backend.Accelerator as CudaAccelerator
            ?? throw new ArgumentException($"NCCL needs a CUDA device; {backend.Device} is not one");
        accelerator.Bind();
        NcclUniqueId id = default;
        if (rank == 0) nccl.Check(nccl.GetUniqueId(&id), "ncclGetUniqueId");
        broadcastFromRank0(new Span<byte>(id.Bytes, NcclUniqueId.Size));
        IntPtr communicator;
        nccl.Check(nccl.CommInitRank(&communicator, size, id, rank), "ncclCommInitRank");
        var stream = ((CudaStream)accelerator.DefaultStream).StreamPtr;
        return new NcclCollectives(nccl, backend.Device, stream, communicator, nccl.Version());
    }

    /// <inheritdoc />
    public void StartAllReduceSum(Tensor buffer)
    {
        if (!buffer.Device.Equals(device) || buffer.DType != DType.Float32 || !buffer.IsContiguous)
            throw new ArgumentException($"NCCL all-reduces contiguous float32 tensors on {device}; got {buffer.DType} {buffer.ShapeString} on {buffer.Device}", nameof(buffer));
        void* data = (void*)DevicePointer(buffer);
        nccl.Check(nccl.AllReduce(data, data, (nuint)buffer.Count, NcclNative.Float32, NcclNative.Sum, Communicator, stream), "ncclAllReduce");
    }

    /// <inheritdoc />
    public bool IsIdle()
    {
        int asyncError = 0;
        nccl.Check(nccl.CommGetAsyncError(Communicator, &asyncError), "ncclCommGetAsyncError");
        nccl.Check(asyncError, "ncclAllReduce (asynchronous error reported by ncclCommGetAsyncError)");
        return nccl.IsStreamIdle(stream);
    }

    /// <inheritdoc />
    public void Abort()
    {
        var abandoned = Interlocked.Exchange(ref communicator, IntPtr.Zero);
        if (abandoned != IntPtr.Zero) nccl.Check(nccl.CommAbort(abandoned), "ncclCommAbort");
    }

    /// <summary>ncclCommDestroy (after the collectives in flight complete).</summary>
    public void Dispose()
    {
        var destroyed = Interlocked.Exchange(ref communicator, IntPtr.Zero);
        if (destroyed != IntPtr.Zero) nccl.Check(nccl.CommDestroy(destroyed), "ncclCommDestroy");
    }

    private IntPtr Communicator => communicator != IntPtr.Zero ? communicator
        : throw new ObjectDisposedException(nameof(NcclCollectives), "the NCCL communicator was destroyed or aborted");

    /// <summary>The CUDA address of the tensor's first element: its pooled buffer's base, plus the view's and the tensor's offsets.</summary>
    private static IntPtr DevicePointer(Tensor buffer)
    {
        IContiguousArrayView bytes = ((IlgpuStorage)buffer.Storage).Buffer.As<byte>();
        return bytes.Buffer.NativePtr + (nint)bytes.IndexInBytes + (nint)buffer.Offset * sizeof(float);
    }
}
