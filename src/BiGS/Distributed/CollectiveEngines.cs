using BiGS.Native.Tensors;

namespace BiGS.Native.Distributed;

/// <summary>
/// How the gradient buckets of a data-parallel run are summed over the ranks: where a bucket is staged
/// (<see cref="CreateBuffer"/>) and which library sums it. <see cref="CollectiveEngines.Choose(ICommunicator, Device)"/>
/// picks one when training starts.
/// </summary>
public interface ICollectiveEngine : IDisposable
{
    /// <summary>What sums the gradients, where, and why this engine (for the log).</summary>
    string Description { get; }

    /// <summary>A bucket's staging memory of <paramref name="length"/> floats.</summary>
    IReductionBuffer CreateBuffer(int length);
}

/// <summary>A bucket's staging memory: float32 values summed over the ranks as one message.</summary>
public interface IReductionBuffer : IDisposable
{
    /// <summary>Copies <paramref name="source"/>'s elements (any device, row-major) to the buffer from <paramref name="offset"/> on.</summary>
    void Write(int offset, Tensor source);

    /// <summary>Sets <paramref name="length"/> values from <paramref name="offset"/> on to <paramref name="value"/>.</summary>
    void Fill(int offset, int length, float value);

    /// <summary>Starts the in-place sum of the whole buffer over all ranks; the buffer is untouchable until it completes.</summary>
    IPendingReduction StartAllReduceSum();

    /// <summary>Copies the values from <paramref name="offset"/> on into <paramref name="destination"/> (contiguous, any device).</summary>
    void Read(int offset, Tensor destination);

    /// <summary>Copies the values from <paramref name="offset"/> on into host memory.</summary>
    void ReadToHost(int offset, Span<float> destination);
}

/// <summary>
/// The choice of <see cref="ICollectiveEngine"/>: NCCL on device buffers when the model is on a CUDA device and
/// NCCL is usable there (BiGS.Native.Gpu loaded, libnccl.so.2 found), else Open MPI with the gradients staged in
/// host memory (the only engine for CPU, OpenCL and ILGPU CPU-accelerator models).
/// </summary>
public static class CollectiveEngines
{
    private const string ProviderType = "BiGS.Native.Gpu.Nccl.NcclCollectivesProvider, BiGS.Native.Gpu";

    /// <summary>The engine for a model on <paramref name="device"/>, NCCL's provider found by name in BiGS.Native.Gpu.</summary>
    public static ICollectiveEngine Choose(ICommunicator communicator, Device device) =>
        Choose(communicator, device, device.Kind == DeviceKind.Cuda ? FindProvider() : null);

    /// <summary>
    /// The engine for a model on <paramref name="device"/>: <paramref name="provider"/>'s device collectives when the
    /// device is CUDA and the provider can serve it (every rank joins them, an MPI broadcast carrying rank 0's
    /// identifier), else MPI with host staging, whose description says why NCCL is not used.
    /// </summary>
    public static ICollectiveEngine Choose(ICommunicator communicator, Device device, IDeviceCollectivesProvider? provider)
    {
        if (device.Kind != DeviceKind.Cuda) return new MpiHostStaging(communicator, $"the model is on {device}");
        string? unavailable = provider is null ? "BiGS.Native.Gpu (which holds the NCCL binding) is not loaded" : provider.Unavailability(device);
        if (unavailable is not null) return new MpiHostStaging(communicator, $"NCCL is not used: {unavailable}");
        var collectives = provider!.Join(device, communicator.Rank, communicator.Size, data => communicator.Broadcast(data, root: 0));
        return new DeviceCollectiveEngine(collectives, device, communicator.CollectiveTimeout);
    }

    private static IDeviceCollectivesProvider? FindProvider() => GpuLayer.Create<IDeviceCollectivesProvider>(ProviderType);
}

/// <summary>
/// Open MPI's MPI_Iallreduce on pinned host buffers: each gradient is copied into its bucket's buffer (from the
/// device through host memory when the model is on a GPU) and the sums copied back.
/// </summary>
public sealed class MpiHostStaging(ICommunicator communicator, string reason) : ICollectiveEngine
{
    /// <inheritdoc />
    public string Description { get; } = $"Open MPI, gradients staged in host memory ({reason})";

    /// <inheritdoc />
    public IReductionBuffer CreateBuffer(int length) => new HostBuffer(communicator, length);

    /// <inheritdoc />
    public void Dispose() { }

    private sealed class HostBuffer(ICommunicator communicator, int length) : IReductionBuffer
    {
        private readonly float[] values = GC.AllocateArray<float>(length, pinned: true);

        public void Write(int offset, Tensor source)
        {
            var destination = values.AsSpan(offset, checked((int)source.Count));
            if (source.Device.Kind == DeviceKind.Cpu && source.IsContiguous) source.AsSpan<float>().CopyTo(destination);
            else source.ToArray().CopyTo(destination);
        }

        public void Fill(int offset, int length, float value) => values.AsSpan(offset, length).Fill(value);

        public IPendingReduction StartAllReduceSum() => communicator.StartAllReduceSum(values, values.Length);

        public void Read(int offset, Tensor destination) => destination.CopyFrom(values.AsSpan(offset, checked((int)destination.Count)));

        public void ReadToHost(int offset, Span<float> destination) => values.AsSpan(offset, destination.Length).CopyTo(destination);

        public void Dispose() { }
    }
}

/// <summary>
/// A GPU layer's collectives (NCCL) on buffers in device memory: gradients are copied into a bucket by device
/// kernels, summed on the device's stream and copied back by kernels, with no host copy. Waiting polls the device
/// against the communicator's collective timeout and aborts the collectives when it passes.
/// </summary>
public sealed class DeviceCollectiveEngine : ICollectiveEngine
{
    private readonly IDeviceCollectives collectives;
    private readonly Device device;
    private readonly TimeSpan timeout;

    /// <summary>Stages buckets on <paramref name="device"/> and sums them with <paramref name="collectives"/>.</summary>
    public DeviceCollectiveEngine(IDeviceCollectives collectives, Device device, TimeSpan timeout)
    {
        this.collectives = collectives;
        this.device = device;
        this.timeout = timeout;
        Description = $"{collectives.Description}, gradients summed in device memory";
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public IReductionBuffer CreateBuffer(int length) => new DeviceBuffer(this, Tensor.Zeros(device, length).KeepAlive());

    /// <summary>Destroys the collectives' communicator.</summary>
    public void Dispose() => collectives.Dispose();

    private sealed class DeviceBuffer(DeviceCollectiveEngine engine, Tensor values) : IReductionBuffer, IPendingReduction
    {
        public void Write(int offset, Tensor source) => Range(offset, checked((int)source.Count)).CopyFrom(source.Reshape(-1));

        public void Fill(int offset, int length, float value) => Range(offset, length).FillInPlace(value);

        public IPendingReduction StartAllReduceSum()
        {
            engine.collectives.StartAllReduceSum(values);
            return this;
        }

        public void Read(int offset, Tensor destination) =>
            destination.CopyFrom(Range(offset, checked((int)destination.Count)).Reshape(destination.ShapeArray()));

        public void ReadToHost(int offset, Span<float> destination) => Range(offset, destination.Length).ToArray().CopyTo(destination);

        public bool Test() => engine.collectives.IsIdle();

        public void Wait() => CollectiveWait.Until(engine.collectives.IsIdle, engine.timeout, "all-reduce", engine.collectives.Abort);

        public void Dispose() => values.Dispose();

        private Tensor Range(int offset, int length) => values.Slice(0, offset, length);
    }
}
