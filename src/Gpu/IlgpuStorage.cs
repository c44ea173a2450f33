using BiGS.Native.Tensors;

namespace BiGS.Native.Gpu;

/// <summary>Device memory for a tensor: one pooled buffer on an <see cref="IlgpuBackend"/>'s accelerator.</summary>
public sealed class IlgpuStorage : TensorStorage
{
    private readonly PooledBuffer buffer;

    internal IlgpuStorage(IlgpuBackend backend, DType dtype, long length, PooledBuffer buffer) : base(dtype, length)
    {
        Backend = backend;
        this.buffer = buffer;
    }

    /// <summary>The backend that owns the memory.</summary>
    public IlgpuBackend Backend { get; }

    /// <inheritdoc />
    public override Device Device => Backend.Device;

    /// <summary>The device buffer (throws after disposal).</summary>
    public PooledBuffer Buffer
    {
        get { ThrowIfDisposed(); return buffer; }
    }

    /// <inheritdoc />
    protected override void Release() => buffer.Dispose();
}
