namespace BiGS.Native.Checkpoints;

/// <summary>
/// A named tensor as stored in a checkpoint, widened on load into one plain C-order array:
/// floating types into <see cref="Floats"/>, integers up to 32 bits and bool into <see cref="Ints"/>,
/// 64-bit integers into <see cref="Longs"/> (see <see cref="ElementTypes.Storage"/>).
/// Exactly one of the three arrays is non-null.
/// </summary>
public sealed class CheckpointTensor
{
    private CheckpointTensor(string name, int[] shape, ElementType storedType, float[]? floats, int[]? ints, long[]? longs)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        long count = ElementCountOf(shape);
        long length = floats?.LongLength ?? ints?.LongLength ?? longs!.LongLength;
        if (length != count)
            throw new ArgumentException(
                $"tensor '{name}': shape [{string.Join(", ", shape)}] holds {count} elements but the data has {length}");
        Name = name;
        Shape = shape;
        StoredType = storedType;
        Floats = floats;
        Ints = ints;
        Longs = longs;
        ElementCount = count;
    }

    /// <summary>Tensor name: a Flax path ("a/b/kernel") or a PyTorch name ("a.b.weight").</summary>
    public string Name { get; }

    /// <summary>Dimensions, outermost first; empty for a scalar.</summary>
    public int[] Shape { get; }

    /// <summary>The element type in the file (before widening).</summary>
    public ElementType StoredType { get; }

    /// <summary>The values when <see cref="StoredType"/> is a floating type, else null.</summary>
    public float[]? Floats { get; }

    /// <summary>The values when <see cref="StoredType"/> is Int32, Int16, Int8, UInt8 or Bool, else null.</summary>
    public int[]? Ints { get; }

    /// <summary>The values when <see cref="StoredType"/> is Int64, else null.</summary>
    public long[]? Longs { get; }

    /// <summary>Number of elements = product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>A float tensor (stored type Float32 unless said otherwise); the array is kept, not copied.</summary>
    public static CheckpointTensor FromFloats(string name, int[] shape, float[] values, ElementType storedType = ElementType.Float32) =>
        storedType.Storage() == ElementStorage.Float
            ? new(name, shape, storedType, values, null, null)
            : throw new ArgumentException($"tensor '{name}': {storedType} is not a floating type", nameof(storedType));

    /// <summary>An int tensor (stored type Int32 unless said otherwise); the array is kept, not copied.</summary>
    public static CheckpointTensor FromInts(string name, int[] shape, int[] values, ElementType storedType = ElementType.Int32) =>
        storedType.Storage() == ElementStorage.Int32
            ? new(name, shape, storedType, null, values, null)
            : throw new ArgumentException($"tensor '{name}': {storedType} is not stored as int", nameof(storedType));

    /// <summary>An Int64 tensor; the array is kept, not copied.</summary>
    public static CheckpointTensor FromLongs(string name, int[] shape, long[] values) =>
        new(name, shape, ElementType.Int64, null, null, values);

    /// <summary>A zero-filled tensor of the given stored type, to be filled by a reader.</summary>
    public static CheckpointTensor Allocate(string name, int[] shape, ElementType storedType)
    {
        long count = ElementCountOf(shape);
        if (count > Array.MaxLength)
            throw new ArgumentException($"tensor '{name}': {count} elements exceed the largest .NET array ({Array.MaxLength})");
        return storedType.Storage() switch
        {
            ElementStorage.Float => new(name, shape, storedType, new float[count], null, null),
            ElementStorage.Int32 => new(name, shape, storedType, null, new int[count], null),
            _ => new(name, shape, storedType, null, null, new long[count]),
        };
    }

    /// <summary>The same data (shared, not copied) under another name.</summary>
    public CheckpointTensor WithName(string name) => new(name, Shape, StoredType, Floats, Ints, Longs);

    /// <summary>
    /// A rank-2 tensor's transpose under a new name: (rows, cols) becomes (cols, rows) with
    /// result[j, i] = this[i, j]. Used to turn Flax Dense kernels (in, out) into PyTorch weights (out, in).
    /// </summary>
    public CheckpointTensor Transposed(string name)
    {
        if (Shape.Length != 2)
            throw new InvalidOperationException(
                $"tensor '{Name}': only rank-2 tensors can be transposed, shape is [{string.Join(", ", Shape)}]");
        int rows = Shape[0], cols = Shape[1];
        int[] shape = [cols, rows];
        return StoredType.Storage() switch
        {
            ElementStorage.Float => new(name, shape, StoredType, Transpose(Floats!, rows, cols), null, null),
            ElementStorage.Int32 => new(name, shape, StoredType, null, Transpose(Ints!, rows, cols), null),
            _ => new(name, shape, StoredType, null, null, Transpose(Longs!, rows, cols)),
        };
    }

    /// <summary>Product of the dimensions (1 for a scalar); throws on negative dimensions.</summary>
    public static long ElementCountOf(IReadOnlyList<int> shape)
    {
        long count = 1;
        foreach (int dim in shape)
        {
            if (dim < 0)
                throw new ArgumentException($"negative dimension {dim} in shape [{string.Join(", ", shape)}]");
            count = checked(count * dim);
        }
        return count;
    }

    private static T[] Transpose<T>(T[] source, int rows, int cols)
    {
        var result = new T[source.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                result[(long)j * rows + i] = source[(long)i * cols + j];
        return result;
    }
}
