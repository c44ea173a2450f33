using BiGS.Native.Tensors;
using BiGS.Native.Tensors.Backends;

namespace BiGS.Native.Distributed;

/// <summary>
/// How the gradient buckets of a data-parallel run are summed over the ranks, and which library sums them. A bucket
/// whose gradients lie back to back in the optimizer's flat gradient buffer is summed there, in place
/// (<see cref="ReducesInPlace"/>, <see cref="StartAllReduceSum"/>); any other is staged in a buffer of the engine's
/// (<see cref="CreateBuffer"/>). <see cref="CollectiveEngines.Choose(ICommunicator, Device)"/> picks one when
/// training starts.
/// </summary>
public interface ICollectiveEngine : IDisposable
{
    /// <summary>What sums the gradients, where, and why this engine (for the log).</summary>
    string Description { get; }

    /// <summary>
    /// True when <paramref name="values"/> (float32, contiguous) lies in memory this engine's library can sum in
    /// place; otherwise its values must be staged through <see cref="CreateBuffer"/>.
    /// </summary>
    bool ReducesInPlace(Tensor values);

    /// <summary>
    /// Starts the in-place sum of <paramref name="values"/> over all ranks (<see cref="ReducesInPlace"/> must hold);
    /// its memory is untouchable until the reduction completes.
    /// </summary>
    IPendingReduction StartAllReduceSum(Tensor values);

    /// <summary>A bucket's staging memory of <paramref name="length"/> floats.</summary>
    IReductionBuffer CreateBuffer(int length);
}

/// <summary>A bucket's staging memory: float32 values summed over the ranks as one message.</summary>
public interface IReductionBuffer : IDisposable
{
    /// <summary>Copies <paramref name="source"/>'s elements (any device, row-major) to the buffer from <paramref name="offset"/> on.</summary>
    void Write(int offset, Tensor source);

    /// <summary>Copies host values to the buffer from <paramref name="offset"/> on.</summary>
    void WriteFromHost(int offset, ReadOnlySpan<float> source);

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
/// NCCL is usable there (BiGS.Native.Gpu loaded, libnccl.so.2 found), else Open MPI on host memory (the only engine
/// for CPU, OpenCL and ILGPU CPU-accelerator models).
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
    /// identifier), else MPI, whose description says why NCCL is not used.
    /// </summary>
    public static ICollectiveEngine Choose(ICommunicator communicator, Device device, IDeviceCollectivesProvider? provider)
    {
        if (device.Kind != DeviceKind.Cuda) return new MpiCollectiveEngine(communicator, device, $"the model is on {device}");
        string? unavailable = provider is null ? "BiGS.Native.Gpu (which holds the NCCL binding) is not loaded" : provider.Unavailability(device);
        if (unavailable is not null) return new MpiCollectiveEngine(communicator, device, $"NCCL is not used: {unavailable}");
        var collectives = provider!.Join(device, communicator.Rank, communicator.Size, data => communicator.Broadcast(data, root: 0));
        return new DeviceCollectiveEngine(collectives, device, communicator.CollectiveTimeout);
    }

    private static IDeviceCollectivesProvider? FindProvider() => GpuLayer.Create<IDeviceCollectivesProvider>(ProviderType);
}

/// <summary>
/// Open MPI's MPI_Iallreduce on host memory. Gradients in CPU tensors are summed where they lie (MPI_IN_PLACE on the
/// flat gradient buffer's array, pinned while the reduction runs); device memory (a GPU without NCCL, OpenCL, ILGPU's
/// CPU accelerator) is not addressable by MPI, so those gradients are staged: copied into a host buffer, from the
/// device through host memory, and the sums copied back.
/// </summary>
public sealed class MpiCollectiveEngine(ICommunicator communicator, Device device, string reason) : ICollectiveEngine
{
    /// <inheritdoc />
    public string Description { get; } =
        $"Open MPI, gradients {(device.Kind == DeviceKind.Cpu ? "summed in place in" : "staged in")} host memory ({reason})";

    /// <inheritdoc />
    public bool ReducesInPlace(Tensor values) => values.Storage is CpuStorage && values.DType == DType.Float32 && values.IsContiguous;

    /// <inheritdoc />
    public IPendingReduction StartAllReduceSum(Tensor values) =>
        communicator.StartAllReduceSum(((CpuStorage)values.Storage).Floats.AsMemory(values.Offset, checked((int)values.Count)));

    /// <inheritdoc />
    public IReductionBuffer CreateBuffer(int length) => new HostBuffer(communicator, length);

    /// <inheritdoc />
    public void Dispose() { }

    private sealed class HostBuffer(ICommunicator communicator, int length) : IReductionBuffer
    {
        private readonly float[] values = new float[length];

        public void Write(int offset, Tensor source)
        {
            var destination = values.AsSpan(offset, checked((int)source.Count));
            if (source.Device.Kind == DeviceKind.Cpu && source.IsContiguous) source.AsSpan<float>().CopyTo(destination);
            else source.ToArray().CopyTo(destination);
        }

        public void WriteFromHost(int offset, ReadOnlySpan<float> source) => source.CopyTo(values.AsSpan(offset));

        public void Fill(int offset, int length, float value) => values.AsSpan(offset, length).Fill(value);

        public IPendingReduction StartAllReduceSum() => communicator.StartAllReduceSum(values);

        public void Read(int offset, Tensor destination) => destination.CopyFrom(values.AsSpan(offset, checked((int)destination.Count)));

        public void ReadToHost(int offset, Span<float> destination) => values.AsSpan(offset, destination.Length).CopyTo(destination);

        public void Dispose() { }
    }
}

/// <summary>
/// A GPU layer's collectives (NCCL) on device memory: a bucket lying back to back in the flat gradient buffer is
/// summed there in place on the device's stream; any other bucket's gradients are copied into a device buffer by
/// kernels and back, with no host copy. Waiting polls the device against the communicator's collective timeout and
/// aborts the collectives when it passes.
/// </summary>
public sealed class DeviceCollectiveEngine : ICollectiveEngine
{
    private readonly IDeviceCollectives collectives;
    private readonly Device device;
    private readonly TimeSpan timeout;

    /// <summary>Sums buckets on <paramref name="device"/> with <paramref name="collectives"/>.</summary>
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
    public bool ReducesInPlace(Tensor values) => values.Device.Equals(device) && values.DType == DType.Float32 && values.IsContiguous;

    /// <inheritdoc />
    public IPendingReduction StartAllReduceSum(Tensor values)
    {
        collectives.StartAllReduceSum(values);
        return new DeviceIdle(this);
    }

    /// <inheritdoc />
    public IReductionBuffer CreateBuffer(int length) => new DeviceBuffer(this, Tensor.Zeros(device, length).KeepAlive());

    /// <summary>Destroys the collectives' communicator.</summary>
    public void Dispose() => collectives.Dispose();

    /// <summary>The reductions queued on the device so far: complete once the device is idle.</summary>
    private sealed class DeviceIdle(DeviceCollectiveEngine engine) : IPendingReduction
    {
        public bool Test() => engine.collectives.IsIdle();

        public void Wait() => CollectiveWait.Until(engine.collectives.IsIdle, engine.timeout, "all-reduce", engine.collectives.Abort);
    }

    private sealed class DeviceBuffer(DeviceCollectiveEngine engine, Tensor values) : IReductionBuffer
    {
        public void Write(int offset, Tensor source) => Range(offset, checked((int)source.Count)).CopyFrom(source.Reshape(-1));

        public void WriteFromHost(int offset, ReadOnlySpan<float> source) => Range(offset, source.Length).CopyFrom(source);

        public void Fill(int offset, int length, float value) => Range(offset, length).FillInPlace(value);

        public IPendingReduction StartAllReduceSum() => engine.StartAllReduceSum(values);

        public void Read(int offset, Tensor destination) =>
            destination.CopyFrom(Range(offset, checked((int)destination.Count)).Reshape(destination.ShapeArray()));

        public void ReadToHost(int offset, Span<float> destination) => Range(offset, destination.Length).ToArray().CopyTo(destination);

        public void Dispose() => values.Dispose();

        private Tensor Range(int offset, int length) => values.Slice(0, offset, length);
    }
}
