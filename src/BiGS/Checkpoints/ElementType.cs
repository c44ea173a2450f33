namespace BiGS.Native.Checkpoints;

/// <summary>Element types a checkpoint may store (safetensors dtype codes / numpy dtype names).</summary>
public enum ElementType
{
    /// <summary>IEEE 754 single precision ("F32", "float32").</summary>
    Float32,
    /// <summary>IEEE 754 half precision ("F16", "float16"), widened to float32 on load.</summary>
    Float16,
    /// <summary>Brain float: the top 16 bits of a float32 ("BF16", "bfloat16"), widened on load.</summary>
    BFloat16,
    /// <summary>IEEE 754 double precision ("F64", "float64"), rounded to float32 on load.</summary>
    Float64,
    /// <summary>Signed 32-bit integer ("I32", "int32").</summary>
    Int32,
    /// <summary>Signed 64-bit integer ("I64", "int64"), kept as long on load.</summary>
    Int64,
    /// <summary>Signed 16-bit integer ("I16", "int16"), widened to int on load.</summary>
    Int16,
    /// <summary>Signed 8-bit integer ("I8", "int8"), widened to int on load.</summary>
    Int8,
    /// <summary>Unsigned 8-bit integer ("U8", "uint8"), widened to int on load.</summary>
    UInt8,
    /// <summary>One byte per element, 0 = false ("BOOL", "bool"), loaded as int 0/1.</summary>
    Bool,
}

/// <summary>Which in-memory array a loaded tensor uses (see <see cref="CheckpointTensor"/>).</summary>
public enum ElementStorage
{
    /// <summary>All floating types, held in <see cref="CheckpointTensor.Floats"/>.</summary>
    Float,
    /// <summary>Integers up to 32 bits and bool, held in <see cref="CheckpointTensor.Ints"/>.</summary>
    Int32,
    /// <summary>64-bit integers, held in <see cref="CheckpointTensor.Longs"/>.</summary>
    Int64,
}

/// <summary>Facts about <see cref="ElementType"/> values: sizes, names in each file format, storage.</summary>
public static class ElementTypes
{
    /// <summary>Bytes per element as stored in a file.</summary>
    public static int SizeInBytes(this ElementType type) => type switch
    {
        ElementType.Float64 or ElementType.Int64 => 8,
        ElementType.Float32 or ElementType.Int32 => 4,
        ElementType.Float16 or ElementType.BFloat16 or ElementType.Int16 => 2,
        ElementType.Int8 or ElementType.UInt8 or ElementType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown element type"),
    };

    /// <summary>The array a tensor of this type is widened into when loaded.</summary>
    public static ElementStorage Storage(this ElementType type) => type switch
    {
        ElementType.Float32 or ElementType.Float16 or ElementType.BFloat16 or ElementType.Float64 => ElementStorage.Float,
        ElementType.Int64 => ElementStorage.Int64,
        _ => ElementStorage.Int32,
    };

    /// <summary>The safetensors dtype code ("F32", "BF16", ...).</summary>
    public static string SafeTensorsCode(this ElementType type) => type switch
    {
        ElementType.Float32 => "F32",
        ElementType.Float16 => "F16",
        ElementType.BFloat16 => "BF16",
        ElementType.Float64 => "F64",
        ElementType.Int32 => "I32",
        ElementType.Int64 => "I64",
        ElementType.Int16 => "I16",
        ElementType.Int8 => "I8",
        ElementType.UInt8 => "U8",
        ElementType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown element type"),
    };

    /// <summary>The numpy dtype name ("float32", "bfloat16", ...) used by Flax msgpack files.</summary>
    public static string NumpyName(this ElementType type) => type switch
    {
        ElementType.Float32 => "float32",
        ElementType.Float16 => "float16",
        ElementType.BFloat16 => "bfloat16",
        ElementType.Float64 => "float64",
        ElementType.Int32 => "int32",
        ElementType.Int64 => "int64",
        ElementType.Int16 => "int16",
        ElementType.Int8 => "int8",
        ElementType.UInt8 => "uint8",
        ElementType.Bool => "bool",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown element type"),
    };

    /// <summary>Parses a safetensors dtype code; false for codes this project does not read.</summary>
    public static bool TryParseSafeTensorsCode(string code, out ElementType type) =>
        TryFind(code, SafeTensorsCode, out type);

    /// <summary>Parses a numpy dtype name; false for names this project does not read.</summary>
    public static bool TryParseNumpyName(string name, out ElementType type) =>
        TryFind(name, NumpyName, out type);

    private static bool TryFind(string text, Func<ElementType, string> nameOf, out ElementType type)
    {
        foreach (ElementType candidate in Enum.GetValues<ElementType>())
        {
            if (nameOf(candidate) == text)
            {
                type = candidate;
                return true;
            }
        }
        type = default;
        return false;
    }
}
