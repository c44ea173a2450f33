namespace BiGS.Native.Tensors.Backends;

/// <summary>Host memory for a tensor: one managed array of the dtype's element type, rented from the pool.</summary>
public sealed class CpuStorage : TensorStorage
{
    private float[]? floats;
    private int[]? ints;
    private long[]? longs;

    internal CpuStorage(DType dtype, int length, bool zeroed) : base(dtype, length)
    {
        switch (dtype)
        {
            case DType.Float32: floats = CpuMemoryPool.Rent<float>(length, zeroed); break;
            case DType.Int32: ints = CpuMemoryPool.Rent<int>(length, zeroed); break;
            case DType.Int64: longs = CpuMemoryPool.Rent<long>(length, zeroed); break;
            default: throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unsupported dtype");
        }
    }

    /// <inheritdoc />
    public override Device Device => Device.Cpu;

    /// <summary>The float elements (throws for other dtypes or after disposal).</summary>
    public float[] Floats
    {
        get { ThrowIfDisposed(); return floats ?? throw WrongType(DType.Float32); }
    }

    /// <summary>The int32 elements, the array itself (not a copy); throws if the storage holds another type or is disposed.</summary>
    public int[] Ints
    {
        get { ThrowIfDisposed(); return ints ?? throw WrongType(DType.Int32); }
    }

    /// <summary>The int64 elements, the array itself (not a copy); throws if the storage holds another type or is disposed.</summary>
    public long[] Longs
    {
        get { ThrowIfDisposed(); return longs ?? throw WrongType(DType.Int64); }
    }

    /// <summary>The elements as a span of T (T must match the dtype).</summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return System.Runtime.InteropServices.MemoryMarshal.Cast<float, T>(Floats.AsSpan());
        if (typeof(T) == typeof(int)) return System.Runtime.InteropServices.MemoryMarshal.Cast<int, T>(Ints.AsSpan());
        if (typeof(T) == typeof(long)) return System.Runtime.InteropServices.MemoryMarshal.Cast<long, T>(Longs.AsSpan());
        throw new NotSupportedException($"no {typeof(T).Name} storage");
    }

    /// <inheritdoc />
    protected override void Release()
    {
        if (floats != null) CpuMemoryPool.Return(floats);
        if (ints != null) CpuMemoryPool.Return(ints);
        if (longs != null) CpuMemoryPool.Return(longs);
        floats = null;
        ints = null;
        longs = null;
    }

    private InvalidOperationException WrongType(DType wanted) =>
        new($"storage holds {DType.Name()}, not {wanted.Name()}");
}
