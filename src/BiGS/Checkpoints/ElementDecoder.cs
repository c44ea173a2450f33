using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace BiGS.Native.Checkpoints;

/// <summary>Fills the whole span with the next bytes of a file, or throws a <see cref="CheckpointFormatException"/>.</summary>
internal delegate void ByteSource(Span<byte> destination);

/// <summary>
/// Turns little-endian raw element bytes into the widened arrays of a <see cref="CheckpointTensor"/>.
/// Float32, Int32 and Int64 bytes are read straight into the destination array; narrower or wider
/// types pass through a small scratch buffer, so a tensor is never held twice.
/// </summary>
internal static class ElementDecoder
{
    private const int BlockBytes = 1 << 16;

    /// <summary>Reads <paramref name="count"/> elements of the target's stored type into it, starting at element <paramref name="start"/>.</summary>
    public static void ReadInto(CheckpointTensor target, long start, long count, ByteSource source)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("checkpoint decoding assumes a little-endian machine");
        switch (target.StoredType)
        {
            case ElementType.Float32: ReadDirect(target.Floats!.AsSpan(checked((int)start), checked((int)count)), source); break;
            case ElementType.Int32: ReadDirect(target.Ints!.AsSpan(checked((int)start), checked((int)count)), source); break;
            case ElementType.Int64: ReadDirect(target.Longs!.AsSpan(checked((int)start), checked((int)count)), source); break;
            case ElementType.Float16:
                // IEEE half: System.Half converts exactly (every half is a float).
                Convert(target.Floats!, start, count, 2, source,
                    bytes => (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(bytes)));
                break;
            case ElementType.BFloat16:
                // bfloat16 is the upper half of a float32: float bits = bf16 bits << 16.
                Convert(target.Floats!, start, count, 2, source,
                    bytes => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes) << 16));
                break;
            case ElementType.Float64:
                Convert(target.Floats!, start, count, 8, source, bytes => (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes));
                break;
            case ElementType.Int16:
                Convert(target.Ints!, start, count, 2, source, bytes => (int)BinaryPrimitives.ReadInt16LittleEndian(bytes));
                break;
            case ElementType.Int8:
                Convert(target.Ints!, start, count, 1, source, bytes => (int)(sbyte)bytes[0]);
                break;
            case ElementType.UInt8:
                Convert(target.Ints!, start, count, 1, source, bytes => (int)bytes[0]);
                break;
            case ElementType.Bool:
                Convert(target.Ints!, start, count, 1, source, bytes => bytes[0] != 0 ? 1 : 0);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(target), target.StoredType, "unknown element type");
        }
    }

    /// <summary>Reads the raw bytes straight into the destination, one block at a time (a span of bytes cannot exceed 2 GB).</summary>
    private static void ReadDirect<T>(Span<T> destination, ByteSource source) where T : struct
    {
        int elementsPerBlock = (1 << 24) / Marshal.SizeOf<T>();
        while (!destination.IsEmpty)
        {
            int n = Math.Min(elementsPerBlock, destination.Length);
            source(MemoryMarshal.AsBytes(destination[..n]));
            destination = destination[n..];
        }
    }

    private delegate T ElementConverter<T>(ReadOnlySpan<byte> elementBytes);

    /// <summary>Reads through a scratch block and converts each element of <paramref name="itemSize"/> bytes.</summary>
    private static void Convert<T>(T[] destination, long start, long count, int itemSize, ByteSource source, ElementConverter<T> convert)
    {
        byte[] scratch = new byte[BlockBytes];
        int perBlock = BlockBytes / itemSize;
        long index = start, end = start + count;
        while (index < end)
        {
            int n = (int)Math.Min(perBlock, end - index);
            Span<byte> block = scratch.AsSpan(0, n * itemSize);
            source(block);
            for (int i = 0; i < n; i++)
                destination[index + i] = convert(block.Slice(i * itemSize, itemSize));
            index += n;
        }
    }
}
