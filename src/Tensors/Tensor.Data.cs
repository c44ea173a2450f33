namespace BiGS.Native.Tensors;

public sealed partial class Tensor
{
    /// <summary>The float32 elements in row-major order, copied to the host.</summary>
    public float[] ToArray()
    {
        RequireDType("ToArray", DType.Float32);
        return CopyOut<float>();
    }

    /// <summary>The int32 elements in row-major order, copied to the host.</summary>
    public int[] ToIntArray()
    {
        RequireDType("ToIntArray", DType.Int32);
        return CopyOut<int>();
    }

    /// <summary>The integer (or float, truncated) elements widened to int64.</summary>
    public long[] ToLongArray() => DType switch
    {
        DType.Int64 => CopyOut<long>(),
        DType.Int32 => CopyOut<int>().Select(v => (long)v).ToArray(),
        _ => CopyOut<float>().Select(v => (long)v).ToArray(),
    };

    /// <summary>The value of a one-element tensor.</summary>
    public float Item()
    {
        if (Count != 1) throw new InvalidOperationException($"Item: tensor of shape {ShapeString} has {Count} elements, not 1");
        return ToArray()[0];
    }

    /// <summary>One element by its indices (for tests and diagnostics; slow).</summary>
    [System.Runtime.CompilerServices.IndexerName("Element")]
    public float this[params int[] index]
    {
        get
        {
            RequireDType("indexer", DType.Float32);
            var one = new float[1];
            Backend.CopyToHost<float>(Storage, ElementOffset(index), one);
            return one[0];
        }
    }

    /// <summary>An int32 copy of an integer tensor (ids and labels), range-checked when narrowing int64.</summary>
    public Tensor ToInt32()
    {
        if (DType == DType.Int32) return this;
        if (DType == DType.Float32) throw new ArgumentException($"ToInt32: expected an integer tensor, got float32 {ShapeString}");
        var values = CopyOut<long>();
        var narrowed = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
            narrowed[i] = values[i] is >= int.MinValue and <= int.MaxValue
                ? (int)values[i]
                : throw new OverflowException($"ToInt32: value {values[i]} at flat index {i} does not fit in int32");
        return FromInts(narrowed, shape).To(Device);
    }

    /// <summary>Overwrites this contiguous float32 tensor (on any device) with host values in row-major order.</summary>
    public void CopyFrom(ReadOnlySpan<float> values)
    {
        RequireDType("CopyFrom", DType.Float32);
        if (!IsContiguous) throw new InvalidOperationException($"CopyFrom: target {ShapeString} must be contiguous");
        if (values.Length != Count) throw new ArgumentException($"CopyFrom: {values.Length} values for a tensor of shape {ShapeString}");
        Backend.CopyFromHost(values, Storage, Offset);
    }

    /// <summary>
    /// The contiguous elements of a CPU tensor as a span over its storage (no copy). Writing through it changes
    /// the tensor. Throws for non-contiguous views and device tensors.
    /// </summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        if (Storage is not Backends.CpuStorage cpu)
            throw new InvalidOperationException($"AsSpan: tensor is on {Device}; copy it to the CPU first");
        if (!IsContiguous)
            throw new InvalidOperationException($"AsSpan: tensor {ShapeString} is a non-contiguous view; call Contiguous() first");
        return cpu.AsSpan<T>().Slice(Offset, Length);
    }

    private T[] CopyOut<T>() where T : unmanaged
    {
        var source = Contiguous();
        var result = new T[source.Count];
        source.Backend.CopyToHost<T>(source.Storage, source.Offset, result);
        return result;
    }

    private long ElementOffset(int[] index)
    {
        if (index.Length != Rank)
            throw new ArgumentException($"index has {index.Length} coordinates for a tensor of shape {ShapeString}");
        long offset = Offset;
        for (int i = 0; i < Rank; i++)
        {
            if ((uint)index[i] >= (uint)shape[i])
                throw new IndexOutOfRangeException($"index {index[i]} is out of range for dimension {i} of shape {ShapeString}");
            offset += (long)index[i] * strides[i];
        }
        return offset;
    }
}
