namespace BiGS.Native.Tensors;

/// <summary>Element types a tensor can hold: float32 for compute, int32/int64 for ids and labels.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float, the compute type.</summary>
    Float32,
    /// <summary>32-bit signed integer (token ids, labels).</summary>
    Int32,
    /// <summary>64-bit signed integer (ids as other frameworks store them).</summary>
    Int64,
}

/// <summary>Size and naming helpers for <see cref="DType"/>.</summary>
public static class DTypeExtensions
{
    /// <summary>Bytes one element of the type takes: 4 for float32 and int32, 8 for int64.</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Int64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>Short lower-case name used in messages (e.g. "float32").</summary>
    public static string Name(this DType dtype) => dtype.ToString().ToLowerInvariant();
}
