using System.Buffers.Binary;
using System.Text;

namespace BiGS.Native.Checkpoints.MsgPack;

/// <summary>
/// A streaming msgpack decoder: reads one value header at a time from a <see cref="Stream"/>,
/// tracking the byte offset, and never buffers more than the value at hand. Binary payloads are
/// read by the caller straight into their destination (<see cref="ReadBytes"/>). Every error is a
/// <see cref="CheckpointFormatException"/> naming the offset (and the file, when named).
/// </summary>
public sealed class MsgPackReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly Stream stream;
    private readonly byte[] scratch = new byte[8];

    /// <summary>Reads from the stream's current position; offsets count from there.</summary>
    /// <param name="stream">The input; when seekable its length lets truncation be detected before allocating.</param>
    /// <param name="sourceName">File name for error messages, or null.</param>
    public MsgPackReader(Stream stream, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        this.stream = stream;
        SourceName = sourceName;
        EndOffset = stream.CanSeek ? stream.Length - stream.Position : null;
    }

    /// <summary>File name used in error messages, or null.</summary>
    public string? SourceName { get; }

    /// <summary>Offset of the next unread byte.</summary>
    public long Offset { get; private set; }

    /// <summary>Offset at which the input ends, when the stream's length is known.</summary>
    public long? EndOffset { get; }

    /// <summary>Builds an error naming the source and the offset.</summary>
    public CheckpointFormatException Error(string detail, long offset) => new(detail, SourceName, offset);

    /// <summary>Reads the next value header (and the whole value for scalars and strings).</summary>
    public MsgPackToken ReadToken()
    {
        long offset = Offset;
        byte type = ReadByte("type byte");
        var token = new MsgPackToken { Offset = offset };
        return type switch
        {
            <= 0x7f => token with { Kind = MsgPackKind.Integer, Integer = type },
            <= 0x8f => token with { Kind = MsgPackKind.Map, Length = type & 0x0f },
            <= 0x9f => token with { Kind = MsgPackKind.Array, Length = type & 0x0f },
            <= 0xbf => ReadString(token, type & 0x1f),
            0xc0 => token with { Kind = MsgPackKind.Nil },
            0xc2 or 0xc3 => token with { Kind = MsgPackKind.Boolean, Boolean = type == 0xc3 },
            0xc4 or 0xc5 or 0xc6 => token with { Kind = MsgPackKind.Binary, Length = ReadLength(type - 0xc4) },
            0xc7 or 0xc8 or 0xc9 => ReadExtension(token, ReadLength(type - 0xc7)),
            0xca => token with { Kind = MsgPackKind.Float, Float = BinaryPrimitives.ReadSingleBigEndian(ReadField(4, "float32")) },
            0xcb => token with { Kind = MsgPackKind.Float, Float = BinaryPrimitives.ReadDoubleBigEndian(ReadField(8, "float64")) },
            0xcc => token with { Kind = MsgPackKind.Integer, Integer = ReadField(1, "uint8")[0] },
            0xcd => token with { Kind = MsgPackKind.Integer, Integer = BinaryPrimitives.ReadUInt16BigEndian(ReadField(2, "uint16")) },
            0xce => token with { Kind = MsgPackKind.Integer, Integer = BinaryPrimitives.ReadUInt32BigEndian(ReadField(4, "uint32")) },
            0xcf => token with { Kind = MsgPackKind.Integer, Integer = ReadUInt64AsInt64(offset) },
            0xd0 => token with { Kind = MsgPackKind.Integer, Integer = (sbyte)ReadField(1, "int8")[0] },
            0xd1 => token with { Kind = MsgPackKind.Integer, Integer = BinaryPrimitives.ReadInt16BigEndian(ReadField(2, "int16")) },
            0xd2 => token with { Kind = MsgPackKind.Integer, Integer = BinaryPrimitives.ReadInt32BigEndian(ReadField(4, "int32")) },
            0xd3 => token with { Kind = MsgPackKind.Integer, Integer = BinaryPrimitives.ReadInt64BigEndian(ReadField(8, "int64")) },
            >= 0xd4 and <= 0xd8 => ReadExtension(token, 1L << (type - 0xd4)),
            0xd9 or 0xda or 0xdb => ReadString(token, ReadLength(type - 0xd9)),
            0xdc or 0xdd => token with { Kind = MsgPackKind.Array, Length = ReadLength(type - 0xdc + 1) },
            0xde or 0xdf => token with { Kind = MsgPackKind.Map, Length = ReadLength(type - 0xde + 1) },
            >= 0xe0 => token with { Kind = MsgPackKind.Integer, Integer = (sbyte)type },
            _ => throw Error($"unknown msgpack type byte 0x{type:x2} at offset {offset}", offset),
        };
    }

    /// <summary>Reads the next value header and checks its kind; <paramref name="what"/> names the expected value in the error.</summary>
    public MsgPackToken ReadToken(MsgPackKind expected, string what)
    {
        MsgPackToken token = ReadToken();
        if (token.Kind != expected)
            throw Error($"expected {what} ({expected}) but found {token}", token.Offset);
        return token;
    }

    /// <summary>Reads exactly <c>destination.Length</c> payload bytes; <paramref name="what"/> names them in a truncation error.</summary>
    public void ReadBytes(Span<byte> destination, string what)
    {
        long start = Offset;
        EnsureAvailable(destination.Length, what);
        int got = stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        Offset += got;
        if (got < destination.Length)
            throw Truncated(destination.Length, what, start, start + got);
    }

    /// <summary>
    /// Throws a truncation error ("expected N bytes of WHAT at offset X, file ends at Y") when the input
    /// is known to be shorter than <paramref name="count"/> more bytes; lets callers check a whole
    /// payload before allocating its destination.
    /// </summary>
    public void EnsureAvailable(long count, string what)
    {
        if (EndOffset is long end && Offset + count > end)
            throw Truncated(count, what, Offset, end);
    }

    private CheckpointFormatException Truncated(long expected, string what, long start, long end) =>
        Error($"truncated: expected {expected} bytes of {what} at offset {start}, file ends at {end}", end);

    private byte ReadByte(string what) => ReadField(1, what)[0];

    /// <summary>Reads a fixed-size big-endian field (1..8 bytes) into the scratch buffer.</summary>
    private ReadOnlySpan<byte> ReadField(int size, string what)
    {
        Span<byte> field = scratch.AsSpan(0, size);
        ReadBytes(field, what);
        return field;
    }

    /// <summary>Reads the 1-, 2- or 4-byte unsigned length that follows str/bin/ext/array/map type bytes (sizeCode 0, 1, 2).</summary>
    private long ReadLength(int sizeCode) => sizeCode switch
    {
        0 => ReadField(1, "length")[0],
        1 => BinaryPrimitives.ReadUInt16BigEndian(ReadField(2, "length")),
        _ => BinaryPrimitives.ReadUInt32BigEndian(ReadField(4, "length")),
    };

    private long ReadUInt64AsInt64(long offset)
    {
        ulong value = BinaryPrimitives.ReadUInt64BigEndian(ReadField(8, "uint64"));
        return value <= long.MaxValue
            ? (long)value
            : throw Error($"uint64 {value} at offset {offset} does not fit in a signed 64-bit integer", offset);
    }

    private MsgPackToken ReadString(MsgPackToken token, long length)
    {
        EnsureAvailable(length, "str");
        byte[] bytes = new byte[length];
        long start = Offset;
        ReadBytes(bytes, "str");
        try
        {
            return token with { Kind = MsgPackKind.String, Length = length, String = StrictUtf8.GetString(bytes) };
        }
        catch (DecoderFallbackException e)
        {
            throw new CheckpointFormatException($"invalid UTF-8 in str at offset {start}", SourceName, start, e);
        }
    }

    private MsgPackToken ReadExtension(MsgPackToken token, long length) =>
        token with { Kind = MsgPackKind.Extension, Length = length, ExtensionType = (sbyte)ReadByte("ext type") };
}
