using Xunit;
using BiGS.Native.Checkpoints;
using BiGS.Native.Checkpoints.MsgPack;

namespace BiGS.Native.Tests.Checkpoints;

/// <summary>The streaming msgpack decoder against byte sequences written out from the msgpack specification.</summary>
public class MsgPackReaderTests
{
    private static MsgPackToken Decode(params byte[] bytes) => new MsgPackReader(new MemoryStream(bytes)).ReadToken();

    [Theory]
    [InlineData(new byte[] { 0x05 }, 5L)]
    [InlineData(new byte[] { 0x7f }, 127L)]
    [InlineData(new byte[] { 0xff }, -1L)]
    [InlineData(new byte[] { 0xe0 }, -32L)]
    [InlineData(new byte[] { 0xcc, 0xff }, 255L)]
    [InlineData(new byte[] { 0xcd, 0x01, 0x00 }, 256L)]
    [InlineData(new byte[] { 0xce, 0xff, 0xff, 0xff, 0xff }, 4294967295L)]
    [InlineData(new byte[] { 0xcf, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00 }, 4294967296L)]
    [InlineData(new byte[] { 0xd0, 0x80 }, -128L)]
    [InlineData(new byte[] { 0xd1, 0xff, 0x00 }, -256L)]
    [InlineData(new byte[] { 0xd2, 0x80, 0x00, 0x00, 0x00 }, -2147483648L)]
    [InlineData(new byte[] { 0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe }, -2L)]
    public void DecodesEveryIntegerWidth(byte[] bytes, long expected)
    {
        MsgPackToken token = Decode(bytes);
        Assert.Equal(MsgPackKind.Integer, token.Kind);
        Assert.Equal(expected, token.Integer);
    }

    [Fact]
    public void RejectsUInt64AboveInt64Range()
    {
        var e = Assert.Throws<CheckpointFormatException>(() => Decode(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
        Assert.Contains("18446744073709551615", e.Message);
    }

    [Fact]
    public void DecodesNilBoolAndFloats()
    {
        Assert.Equal(MsgPackKind.Nil, Decode(0xc0).Kind);
        Assert.False(Decode(0xc2).Boolean);
        Assert.True(Decode(0xc3).Boolean);
        Assert.Equal(1.0, Decode(0xca, 0x3f, 0x80, 0x00, 0x00).Float);        // float32 1.0
        Assert.Equal(-2.5, Decode(0xca, 0xc0, 0x20, 0x00, 0x00).Float);       // float32 -2.5
        Assert.Equal(Math.PI, Decode(0xcb, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18).Float);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void DecodesStringsOfEveryWidth(int lengthBytes)
    {
        byte[] bytes = new TestMsgPackWriter().Str("héllo", lengthBytes).ToArray();
        Assert.Equal(lengthBytes switch { 0 => 0xa6, 1 => 0xd9, 2 => 0xda, _ => 0xdb }, bytes[0]);
        MsgPackToken token = Decode(bytes);
        Assert.Equal(MsgPackKind.String, token.Kind);
        Assert.Equal("héllo", token.String);
    }

    [Theory]
    [InlineData(1, 0xc4)]
    [InlineData(2, 0xc5)]
    [InlineData(4, 0xc6)]
    public void DecodesBinariesOfEveryWidthIntoCallerBuffers(int lengthBytes, int typeByte)
    {
        byte[] payload = [1, 2, 3, 250];
        byte[] bytes = new TestMsgPackWriter().Bin(payload, lengthBytes).Int(7).ToArray();
        Assert.Equal(typeByte, bytes[0]);
        var reader = new MsgPackReader(new MemoryStream(bytes));
        MsgPackToken token = reader.ReadToken();
        Assert.Equal(MsgPackKind.Binary, token.Kind);
        Assert.Equal(4, token.Length);
        var destination = new byte[4];
        reader.ReadBytes(destination, "bin");
        Assert.Equal(payload, destination);
        Assert.Equal(7, reader.ReadToken().Integer);
        Assert.Equal(bytes.Length, reader.Offset);
    }

    [Theory]
    [InlineData(0, 0x93, 0x83)]
    [InlineData(2, 0xdc, 0xde)]
    [InlineData(4, 0xdd, 0xdf)]
    public void DecodesArrayAndMapHeadersOfEveryWidth(int lengthBytes, int arrayType, int mapType)
    {
        byte[] array = new TestMsgPackWriter().Array(3, lengthBytes).ToArray();
        byte[] map = new TestMsgPackWriter().Map(3, lengthBytes).ToArray();
        Assert.Equal(arrayType, array[0]);
        Assert.Equal(mapType, map[0]);
        Assert.Equal((MsgPackKind.Array, 3L), (Decode(array).Kind, Decode(array).Length));
        Assert.Equal((MsgPackKind.Map, 3L), (Decode(map).Kind, Decode(map).Length));
    }

    [Theory]
    [InlineData(1, 0, 0xd4)]
    [InlineData(2, 0, 0xd5)]
    [InlineData(4, 0, 0xd6)]
    [InlineData(8, 0, 0xd7)]
    [InlineData(16, 0, 0xd8)]
    [InlineData(3, 0, 0xc7)]
    [InlineData(3, 2, 0xc8)]
    [InlineData(3, 4, 0xc9)]
    public void DecodesExtensionsOfEveryWidth(int payloadLength, int lengthBytes, int typeByte)
    {
        byte[] bytes = new TestMsgPackWriter().Ext(-5, new byte[payloadLength], lengthBytes).ToArray();
        Assert.Equal(typeByte, bytes[0]);
        MsgPackToken token = Decode(bytes);
        Assert.Equal(MsgPackKind.Extension, token.Kind);
        Assert.Equal(-5, token.ExtensionType);
        Assert.Equal(payloadLength, token.Length);
    }

    [Fact]
    public void UnknownTypeByteNamesItsOffset()
    {
        byte[] bytes = new TestMsgPackWriter().Array(2).Int(1).Byte(0xc1).ToArray();
        var reader = new MsgPackReader(new MemoryStream(bytes), "bad.msgpack");
        reader.ReadToken();
        reader.ReadToken();
        var e = Assert.Throws<CheckpointFormatException>(() => reader.ReadToken());
        Assert.Equal("bad.msgpack: unknown msgpack type byte 0xc1 at offset 2", e.Message);
        Assert.Equal(2, e.ByteOffset);
    }

    [Fact]
    public void TruncatedBinNamesExpectedLengthOffsetAndEnd()
    {
        byte[] bytes = new TestMsgPackWriter().Bin(new byte[300]).ToArray()[..100];
        var reader = new MsgPackReader(new MemoryStream(bytes));
        reader.ReadToken();
        var e = Assert.Throws<CheckpointFormatException>(() => reader.ReadBytes(new byte[300], "bin"));
        Assert.Equal("truncated: expected 300 bytes of bin at offset 3, file ends at 100", e.Message);
    }

    [Fact]
    public void TruncationIsDetectedOnNonSeekableStreamsToo()
    {
        byte[] bytes = new TestMsgPackWriter().Str(new string('x', 40)).ToArray()[..20];
        var reader = new MsgPackReader(new ForwardOnlyStream(bytes));
        Assert.Null(reader.EndOffset);
        var e = Assert.Throws<CheckpointFormatException>(() => reader.ReadToken());
        Assert.Equal("truncated: expected 40 bytes of str at offset 2, file ends at 20", e.Message);
    }

    [Fact]
    public void InvalidUtf8IsReportedWithOffset()
    {
        var e = Assert.Throws<CheckpointFormatException>(() => Decode(0xa2, 0xc3, 0x28));
        Assert.Contains("invalid UTF-8 in str at offset 1", e.Message);
    }
}

/// <summary>A read-only stream that cannot seek or report its length, like a network or pipe stream.</summary>
internal sealed class ForwardOnlyStream(byte[] data) : Stream
{
    private readonly MemoryStream inner = new(data);
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 7));
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
