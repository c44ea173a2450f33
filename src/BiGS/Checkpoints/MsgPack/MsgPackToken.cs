namespace BiGS.Native.Checkpoints.MsgPack;

/// <summary>The families of msgpack values (all integer widths are one kind, and so on).</summary>
public enum MsgPackKind
{
    /// <summary>nil (0xc0).</summary>
    Nil,
    /// <summary>true / false.</summary>
    Boolean,
    /// <summary>positive/negative fixint, int8..int64, uint8..uint64.</summary>
    Integer,
    /// <summary>float32 or float64.</summary>
    Float,
    /// <summary>fixstr, str8/16/32 (UTF-8).</summary>
    String,
    /// <summary>bin8/16/32: raw bytes.</summary>
    Binary,
    /// <summary>fixarray, array16/32.</summary>
    Array,
    /// <summary>fixmap, map16/32.</summary>
    Map,
    /// <summary>fixext1..16, ext8/16/32: a type code plus raw bytes.</summary>
    Extension,
}

/// <summary>
/// One msgpack value header as read by <see cref="MsgPackReader.ReadToken()"/>. Scalars and strings are
/// complete; for Binary and Extension the <see cref="Length"/> payload bytes follow in the stream, and
/// for Array / Map the <see cref="Length"/> elements (key-value pairs for maps) follow.
/// </summary>
public readonly record struct MsgPackToken
{
    /// <summary>The value's family, which says which of the other properties carries it.</summary>
    public MsgPackKind Kind { get; init; }

    /// <summary>Byte offset of the value's type byte.</summary>
    public long Offset { get; init; }

    /// <summary>The value when <see cref="Kind"/> is Boolean (false otherwise).</summary>
    public bool Boolean { get; init; }

    /// <summary>Value of an Integer (a uint64 above <see cref="long.MaxValue"/> is rejected by the reader).</summary>
    public long Integer { get; init; }

    /// <summary>Value of a Float (float32 values are widened exactly).</summary>
    public double Float { get; init; }

    /// <summary>Value of a String, else null.</summary>
    public string? String { get; init; }

    /// <summary>Payload byte count (Binary, Extension) or element count (Array; pairs for Map).</summary>
    public long Length { get; init; }

    /// <summary>Application type code of an Extension.</summary>
    public sbyte ExtensionType { get; init; }

    /// <summary>A short description for error messages, e.g. "map of 3 entries at offset 12".</summary>
    public override string ToString() => Kind switch
    {
        MsgPackKind.Nil => $"nil at offset {Offset}",
        MsgPackKind.Boolean => $"bool {Boolean} at offset {Offset}",
        MsgPackKind.Integer => $"integer {Integer} at offset {Offset}",
        MsgPackKind.Float => $"float {Float} at offset {Offset}",
        MsgPackKind.String => $"string \"{String}\" at offset {Offset}",
        MsgPackKind.Binary => $"bin of {Length} bytes at offset {Offset}",
        MsgPackKind.Array => $"array of {Length} elements at offset {Offset}",
        MsgPackKind.Map => $"map of {Length} entries at offset {Offset}",
        _ => $"ext type {ExtensionType} of {Length} bytes at offset {Offset}",
    };
}
