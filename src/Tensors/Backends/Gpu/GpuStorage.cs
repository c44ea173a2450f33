using BiGS.Native.Kernels.Gpu;

namespace BiGS.Native.Tensors.Backends.Gpu;

/// <summary>Device memory for a tensor: one buffer on a <see cref="GpuBackend"/>'s device, freed on Dispose.</summary>
public sealed class GpuStorage : TensorStorage
{
    private readonly IGpuBuffer buffer;

    internal GpuStorage(GpuBackend backend, DType dtype, long length, IGpuBuffer buffer) : base(dtype, length)
    {
        Backend = backend;
        this.buffer = buffer;
    }

    /// <summary>The backend that owns the memory.</summary>
    public GpuBackend Backend { get; }

    /// <inheritdoc />
    public override Device Device => Backend.Device;

    /// <summary>The device buffer (throws after disposal).</summary>
    public IGpuBuffer Buffer
    {
        get { ThrowIfDisposed(); return buffer; }
    }

    /// <inheritdoc />
    protected override void Release() => buffer.Dispose();
}
