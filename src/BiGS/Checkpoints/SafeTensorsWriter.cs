using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace BiGS.Native.Checkpoints;

/// <summary>One tensor to write: its header fields and a callback that writes exactly its raw bytes.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="Type">Element type declared in the header.</param>
/// <param name="Shape">Dimensions (empty for a scalar).</param>
/// <param name="WriteData">Writes prod(Shape) * itemsize little-endian C-order bytes to the stream.</param>
public sealed record SafeTensorsEntry(string Name, ElementType Type, int[] Shape, Action<Stream> WriteData);

/// <summary>
/// Writes safetensors files atomically: the file is written to a temporary file in the same
/// directory, flushed to disk, and only then moved over the target. If anything fails (a data
/// callback throws, the disk fills up) the previous target file is left untouched and the
/// temporary file is deleted. The JSON header is padded with spaces to a multiple of 8 bytes.
/// </summary>
public static class SafeTensorsWriter
{
    /// <summary>
    /// Writes in-memory tensors as they are held: float data as F32, int data as I32, long data as I64
    /// (a tensor loaded from F16 is written as F32).
    /// </summary>
    public static void Write(string path, IEnumerable<CheckpointTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(path, tensors.Select(EntryFor).ToList(), metadata);

    /// <summary>Writes the entries in the given order, contiguously (no gaps).</summary>
    /// <exception cref="ArgumentException">Duplicate or reserved names.</exception>
    /// <exception cref="CheckpointFormatException">A data callback wrote the wrong number of bytes.</exception>
    public static void Write(string path, IReadOnlyList<SafeTensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        byte[] header = BuildHeader(entries, metadata);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> lengthPrefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(lengthPrefix, (ulong)header.Length);
            stream.Write(lengthPrefix);
            stream.Write(header);
            foreach (SafeTensorsEntry entry in entries)
                WriteEntryData(stream, entry, path);
        });
    }

    /// <summary>An entry that writes the tensor's array as held in memory (F32, I32 or I64).</summary>
    public static SafeTensorsEntry EntryFor(CheckpointTensor tensor) => tensor.StoredType.Storage() switch
    {
        ElementStorage.Float => new(tensor.Name, ElementType.Float32, tensor.Shape, s => WriteArray<float>(s, tensor.Floats!)),
        ElementStorage.Int32 => new(tensor.Name, ElementType.Int32, tensor.Shape, s => WriteArray<int>(s, tensor.Ints!)),
        _ => new(tensor.Name, ElementType.Int64, tensor.Shape, s => WriteArray<long>(s, tensor.Longs!)),
    };

    /// <summary>Writes an array's bytes (little-endian machine) in blocks, since one byte span cannot exceed 2 GB.</summary>
    private static void WriteArray<T>(Stream stream, T[] values) where T : struct
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors writing assumes a little-endian machine");
        int perBlock = (1 << 24) / Marshal.SizeOf<T>();
        for (int start = 0; start < values.Length; start += perBlock)
            stream.Write(MemoryMarshal.AsBytes(values.AsSpan(start, Math.Min(perBlock, values.Length - start))));
    }

    private static void WriteEntryData(Stream stream, SafeTensorsEntry entry, string path)
    {
        long expected = ByteLength(entry);
        long before = stream.Position;
        entry.WriteData(stream);
        long written = stream.Position - before;
        if (written != expected)
            throw new CheckpointFormatException(
                $"tensor '{entry.Name}': wrote {written} bytes but shape [{string.Join(", ", entry.Shape)}] of {entry.Type.SafeTensorsCode()} needs {expected}",
                path);
    }

    private static long ByteLength(SafeTensorsEntry entry) => CheckpointTensor.ElementCountOf(entry.Shape) * entry.Type.SizeInBytes();

    /// <summary>The JSON header with contiguous offsets, space-padded to a multiple of 8 bytes.</summary>
    private static byte[] BuildHeader(IReadOnlyList<SafeTensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var names = new HashSet<string>();
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach ((string key, string value) in metadata)
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (SafeTensorsEntry entry in entries)
            {
                if (entry.Name == "__metadata__" || !names.Add(entry.Name))
                    throw new ArgumentException($"tensor name '{entry.Name}' is reserved or used twice", nameof(entries));
                long end = offset + ByteLength(entry);
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", entry.Type.SafeTensorsCode());
                json.WriteStartArray("shape");
                foreach (int dim in entry.Shape)
                    json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }
            json.WriteEndObject();
        }
        int padding = (int)((8 - buffer.Length % 8) % 8);
        for (int i = 0; i < padding; i++)
            buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }
}
