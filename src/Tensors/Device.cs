namespace BiGS.Native.Tensors;

/// <summary>The kinds of device a tensor can live on.</summary>
public enum DeviceKind
{
    /// <summary>Host memory, SIMD kernels.</summary>
    Cpu,
    /// <summary>An OpenCL 2.0+ device through ILGPU.</summary>
    OpenCL,
    /// <summary>An NVIDIA GPU through ILGPU's CUDA accelerator (only the driver is needed).</summary>
    Cuda,
    /// <summary>ILGPU's CPU accelerator: the GPU kernels run on host threads (slow; for tests and debugging).</summary>
    IlgpuCpu,
    /// <summary>
    /// ILGPU's CPU accelerator with every kernel launch and memory clear counted and skipped: a computation's device
    /// memory, copies, clears and launches, exactly as <see cref="IlgpuCpu"/> would make them, in a fraction of the time
    /// and with no results (tensor values are whatever the memory held).
    /// </summary>
    IlgpuDry,
}

/// <summary>A device: where a tensor's memory lives and which backend computes on it.</summary>
public sealed class Device : IEquatable<Device>
{
    private Device(DeviceKind kind, int index, ITensorBackend backend)
    {
        Kind = kind;
        Index = index;
        Backend = backend;
    }

    /// <summary>The host CPU (index 0), computing with <see cref="Backends.CpuBackend"/>.</summary>
    public static Device Cpu { get; } = new(DeviceKind.Cpu, 0, Backends.CpuBackend.Instance);

    /// <summary>Creates a device for a backend a GPU layer provides.</summary>
    public static Device Create(DeviceKind kind, int index, ITensorBackend backend) => new(kind, index, backend);

    /// <summary>Whether this is the host CPU or a GPU layer's device; with <see cref="Index"/> it names the device.</summary>
    public DeviceKind Kind { get; }

    /// <summary>Index among devices of its kind.</summary>
    public int Index { get; }

    /// <summary>The backend that allocates and computes on this device.</summary>
    public ITensorBackend Backend { get; }

    /// <inheritdoc />
    public bool Equals(Device? other) => other is not null && Kind == other.Kind && Index == other.Index;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Device d && Equals(d);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, Index);

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.IlgpuCpu => "ilgpu-cpu",
        DeviceKind.IlgpuDry => "ilgpu-dry",
        _ => $"{Kind.ToString().ToLowerInvariant()}:{Index}",
    };
}
