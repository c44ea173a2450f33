using System.Buffers.Binary;
using System.Text;

namespace BiGS.Native.Tests.Checkpoints;

/// <summary>
/// A tiny msgpack encoder for crafting test files, written from the msgpack specification
/// (big-endian lengths and numbers). Width-forcing overloads exercise the 16/32-bit forms.
/// </summary>
internal sealed class TestMsgPackWriter
{
    private readonly MemoryStream output = new();

    public byte[] ToArray() => output.ToArray();

    public TestMsgPackWriter Nil() => Byte(0xc0);

    public TestMsgPackWriter Bool(bool value) => Byte(value ? (byte)0xc3 : (byte)0xc2);

    /// <summary>Smallest encoding: fixint, then int8..int64 / uint8..uint64.</summary>
    public TestMsgPackWriter Int(long value)
    {
        if (value is >= 0 and <= 0x7f) return Byte((byte)value);
        if (value is >= -32 and < 0) return Byte((byte)(sbyte)value);
        if (value >= 0)
        {
            if (value <= byte.MaxValue) return Byte(0xcc).Byte((byte)value);
            if (value <= ushort.MaxValue) return Byte(0xcd).BigEndian((ulong)value, 2);
            if (value <= uint.MaxValue) return Byte(0xce).BigEndian((ulong)value, 4);
            return Byte(0xcf).BigEndian((ulong)value, 8);
        }
        if (value >= sbyte.MinValue) return Byte(0xd0).Byte((byte)(sbyte)value);
        if (value >= short.MinValue) return Byte(0xd1).BigEndian((ulong)value, 2);
        if (value >= int.MinValue) return Byte(0xd2).BigEndian((ulong)value, 4);
        return Byte(0xd3).BigEndian((ulong)value, 8);
    }

    public TestMsgPackWriter Float64(double value) => Byte(0xcb).BigEndian((ulong)BitConverter.DoubleToInt64Bits(value), 8);

    public TestMsgPackWriter Float32(float value) => Byte(0xca).BigEndian((ulong)(uint)BitConverter.SingleToInt32Bits(value), 4);

    /// <summary>A string; <paramref name="lengthBytes"/> 0 = smallest form, else 1, 2 or 4 forces str8/16/32.</summary>
    public TestMsgPackWriter Str(string value, int lengthBytes = 0)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        if (lengthBytes == 0 && bytes.Length < 32)
            Byte((byte)(0xa0 | bytes.Length));
        else
            Header(0xd9, lengthBytes == 0 ? SmallestWidth(bytes.Length) : lengthBytes, bytes.Length);
        return Raw(bytes);
    }

    /// <summary>A bin; <paramref name="lengthBytes"/> 0 = smallest of bin8/16/32.</summary>
    public TestMsgPackWriter Bin(byte[] bytes, int lengthBytes = 0) =>
        Header(0xc4, lengthBytes == 0 ? SmallestWidth(bytes.Length) : lengthBytes, bytes.Length).Raw(bytes);

    /// <summary>An array header; <paramref name="lengthBytes"/> 0 = fixarray when possible, else 2 or 4.</summary>
    public TestMsgPackWriter Array(int count, int lengthBytes = 0) =>
        lengthBytes == 0 && count < 16 ? Byte((byte)(0x90 | count)) : Header(0xdc - 1, lengthBytes == 0 ? 2 : lengthBytes, count);

    /// <summary>A map header; <paramref name="lengthBytes"/> 0 = fixmap when possible, else 2 or 4.</summary>
    public TestMsgPackWriter Map(int count, int lengthBytes = 0) =>
        lengthBytes == 0 && count < 16 ? Byte((byte)(0x80 | count)) : Header(0xde - 1, lengthBytes == 0 ? 2 : lengthBytes, count);

    /// <summary>An ext value: fixext for 1/2/4/8/16 bytes unless <paramref name="lengthBytes"/> forces ext8/16/32.</summary>
    public TestMsgPackWriter Ext(sbyte type, byte[] payload, int lengthBytes = 0)
    {
        int fixIndex = System.Array.IndexOf([1, 2, 4, 8, 16], payload.Length);
        if (lengthBytes == 0 && fixIndex >= 0)
            Byte((byte)(0xd4 + fixIndex));
        else
            Header(0xc7, lengthBytes == 0 ? SmallestWidth(payload.Length) : lengthBytes, payload.Length);
        return Byte((byte)type).Raw(payload);
    }

    /// <summary>A Flax ndarray leaf: ext 1 (or 3 for a numpy scalar) with payload [shape, dtype, bytes].</summary>
    public TestMsgPackWriter Ndarray(int[] shape, string dtype, byte[] data, sbyte extType = 1)
    {
        var payload = new TestMsgPackWriter().Array(3).Array(shape.Length);
        foreach (int dim in shape) payload.Int(dim);
        return Ext(extType, payload.Str(dtype).Bin(data).ToArray());
    }

    /// <summary>A float32 Flax ndarray leaf.</summary>
    public TestMsgPackWriter Float32Array(int[] shape, params float[] values) =>
        Ndarray(shape, "float32", values.SelectMany(BitConverter.GetBytes).ToArray());

    public TestMsgPackWriter Raw(byte[] bytes)
    {
        output.Write(bytes);
        return this;
    }

    public TestMsgPackWriter Byte(byte value)
    {
        output.WriteByte(value);
        return this;
    }

    private static int SmallestWidth(int length) => length <= byte.MaxValue ? 1 : length <= ushort.MaxValue ? 2 : 4;

    /// <summary>Type byte for 1/2/4-byte lengths is <paramref name="baseType"/> + 0/1/2, then the length.</summary>
    private TestMsgPackWriter Header(int baseType, int lengthBytes, int length) =>
        Byte((byte)(baseType + lengthBytes switch { 1 => 0, 2 => 1, _ => 2 })).BigEndian((ulong)length, lengthBytes);

    private TestMsgPackWriter BigEndian(ulong value, int bytes)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(buffer, value);
        output.Write(buffer[(8 - bytes)..]);
        return this;
    }
}
