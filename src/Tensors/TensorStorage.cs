namespace BiGS.Native.Tensors;

/// <summary>
/// The memory behind one or more tensors (views share it). It belongs to one backend; disposing it gives the
/// memory back (to a pool on the CPU, to the driver on a GPU) and any later use throws.
/// </summary>
public abstract class TensorStorage : IDisposable
{
    /// <summary>Creates storage of <paramref name="length"/> elements of <paramref name="dtype"/>.</summary>
    protected TensorStorage(DType dtype, long length)
    {
        DType = dtype;
        Length = length;
        TensorScope.Register(this);
    }

    /// <summary>Element type of every value in the buffer (fixed at allocation).</summary>
    public DType DType { get; }

    /// <summary>Number of elements the buffer holds (not bytes; a tensor may view only part of them).</summary>
    public long Length { get; }

    /// <summary>The device this memory lives on.</summary>
    public abstract Device Device { get; }

    /// <summary>True once the memory has been released.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>Releases the memory; idempotent.</summary>
    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Gives the memory back to its owner.</summary>
    protected abstract void Release();

    /// <summary>Throws if the storage was disposed.</summary>
    protected void ThrowIfDisposed()
    {
        if (IsDisposed)
            throw new ObjectDisposedException(nameof(TensorStorage),
                "tensor storage was used after it was disposed (a tensor escaped its TensorScope without Keep()?)");
    }
}
