using System.Buffers.Binary;
using System.Text.Json;

namespace BiGS.Native.Checkpoints;

/// <summary>Where one tensor lives in a safetensors file, as declared by its header.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="Type">Stored element type.</param>
/// <param name="Shape">Dimensions (empty for a scalar).</param>
/// <param name="DataBegin">First byte, relative to the start of the data block.</param>
/// <param name="DataEnd">One past the last byte, relative to the start of the data block.</param>
public sealed record SafeTensorsTensorInfo(string Name, ElementType Type, int[] Shape, long DataBegin, long DataEnd);

/// <summary>
/// Reads a safetensors file: 8-byte little-endian header length n, n bytes of UTF-8 JSON
/// <c>{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}</c>,
/// then the data block (offsets relative to its start). The header is validated when the reader is
/// created (dtype known, offsets inside the data block, end - begin = prod(shape) * itemsize, no two
/// tensors overlapping; gaps are allowed). Tensors are then read one at a time by seeking, so a big
/// file is never held twice.
/// </summary>
public sealed class SafeTensorsReader : IDisposable
{
    /// <summary>Largest header accepted (the format's reference implementation uses the same bound).</summary>
    public const long MaxHeaderBytes = 100_000_000;
    private const string MetadataKey = "__metadata__";

    private readonly Stream stream;
    private readonly bool leaveOpen;
    private readonly Dictionary<string, SafeTensorsTensorInfo> byName;

    /// <summary>Opens a file and validates its header.</summary>
    /// <exception cref="CheckpointFormatException">The header is malformed; the message names the file and the problem.</exception>
    public static SafeTensorsReader Open(string path) =>
        new(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16), path, leaveOpen: false);

    /// <summary>Reads and validates the header from a seekable stream positioned at the file start.</summary>
    /// <param name="stream">Seekable input.</param>
    /// <param name="sourceName">File name for error messages, or null.</param>
    /// <param name="leaveOpen">When false, disposing the reader disposes the stream.</param>
    public SafeTensorsReader(Stream stream, string? sourceName = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
            throw new ArgumentException("safetensors reading needs a seekable stream", nameof(stream));
        this.stream = stream;
        this.leaveOpen = leaveOpen;
        SourceName = sourceName;
        try
        {
            long fileLength = stream.Length - stream.Position;
            long headerLength = ReadHeaderLength(fileLength);
            DataStart = stream.Position + headerLength;
            DataLength = fileLength - 8 - headerLength;
            (Tensors, Metadata) = ParseHeader(ReadHeaderBytes(headerLength));
            byName = Tensors.ToDictionary(t => t.Name);
        }
        catch
        {
            if (!leaveOpen) stream.Dispose();
            throw;
        }
    }

    /// <summary>File name used in error messages, or null.</summary>
    public string? SourceName { get; }

    /// <summary>Absolute stream position of the data block.</summary>
    public long DataStart { get; }

    /// <summary>Size of the data block in bytes.</summary>
    public long DataLength { get; }

    /// <summary>The header's tensors, ordered by their position in the data block.</summary>
    public IReadOnlyList<SafeTensorsTensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> string map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Name to shape for every tensor, without reading any data.</summary>
    public IReadOnlyDictionary<string, int[]> Shapes => byName.ToDictionary(p => p.Key, p => p.Value.Shape);

    /// <summary>Looks up a tensor's header entry.</summary>
    public bool TryGetInfo(string name, out SafeTensorsTensorInfo info) => byName.TryGetValue(name, out info!);

    /// <summary>Reads one tensor, widened as described on <see cref="CheckpointTensor"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tensor of that name.</exception>
    public CheckpointTensor Read(string name)
    {
        if (!byName.TryGetValue(name, out SafeTensorsTensorInfo? info))
            throw new KeyNotFoundException($"{SourceName ?? "safetensors stream"}: no tensor named '{name}'");
        return Read(info);
    }

    /// <summary>Lazily reads every tensor in data-block order, one materialised at a time.</summary>
    public IEnumerable<CheckpointTensor> ReadTensors()
    {
        foreach (SafeTensorsTensorInfo info in Tensors)
            yield return Read(info);
    }

    /// <summary>Reads every tensor of a file into a dictionary keyed by name.</summary>
    public static Dictionary<string, CheckpointTensor> ReadAll(string path)
    {
        using SafeTensorsReader reader = Open(path);
        return reader.ReadTensors().ToDictionary(t => t.Name);
    }

    /// <summary>Disposes the stream unless it was opened with leaveOpen.</summary>
    public void Dispose()
    {
        if (!leaveOpen) stream.Dispose();
    }

    private CheckpointTensor Read(SafeTensorsTensorInfo info)
    {
        CheckpointTensor tensor = CheckpointTensor.Allocate(info.Name, info.Shape, info.Type);
        long position = DataStart + info.DataBegin;
        stream.Seek(position, SeekOrigin.Begin);
        ElementDecoder.ReadInto(tensor, 0, tensor.ElementCount, bytes =>
        {
            int got = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            if (got < bytes.Length)
                throw Error($"tensor '{info.Name}': truncated: expected {bytes.Length} bytes at offset {position}, file ends at {position + got}", position + got);
            position += got;
        });
        return tensor;
    }

    private CheckpointFormatException Error(string detail, long? offset = null) => new(detail, SourceName, offset);

    private long ReadHeaderLength(long fileLength)
    {
        Span<byte> prefix = stackalloc byte[8];
        int got = stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false);
        if (got < 8)
            throw Error($"truncated: expected an 8-byte header length at offset 0, file ends at {got}", got);
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (length > (ulong)(fileLength - 8))
            throw Error($"header length {length} exceeds the {fileLength - 8} bytes after the 8-byte length prefix (file size {fileLength})", 0);
        if (length > MaxHeaderBytes)
            throw Error($"header length {length} exceeds the {MaxHeaderBytes}-byte limit", 0);
        return (long)length;
    }

    private byte[] ReadHeaderBytes(long headerLength)
    {
        var header = new byte[headerLength];
        int got = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (got < header.Length)
            throw Error($"truncated: expected {headerLength} bytes of header at offset 8, file ends at {8 + got}", 8 + got);
        return header;
    }

    private (IReadOnlyList<SafeTensorsTensorInfo>, IReadOnlyDictionary<string, string>) ParseHeader(byte[] header)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException($"header is not valid JSON: {e.Message}", SourceName, 8, e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Error($"header must be a JSON object, found {document.RootElement.ValueKind}", 8);
            var tensors = new List<SafeTensorsTensorInfo>();
            var metadata = new Dictionary<string, string>();
            var seen = new HashSet<string>();
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw Error($"header names '{property.Name}' twice", 8);
                if (property.Name == MetadataKey)
                    ParseMetadata(property.Value, metadata);
                else
                    tensors.Add(ParseTensor(property.Name, property.Value));
            }
            tensors.Sort((a, b) => a.DataBegin != b.DataBegin ? a.DataBegin.CompareTo(b.DataBegin) : a.DataEnd.CompareTo(b.DataEnd));
            CheckNoOverlap(tensors);
            return (tensors, metadata);
        }
    }

    private void ParseMetadata(JsonElement element, Dictionary<string, string> metadata)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw Error($"{MetadataKey} must be an object of strings, found {element.ValueKind}", 8);
        foreach (JsonProperty entry in element.EnumerateObject())
        {
            metadata[entry.Name] = entry.Value.ValueKind == JsonValueKind.String
                ? entry.Value.GetString()!
                : throw Error($"{MetadataKey} entry '{entry.Name}' must be a string, found {entry.Value.ValueKind}", 8);
        }
    }

    private SafeTensorsTensorInfo ParseTensor(string name, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw Error($"tensor '{name}': header entry must be an object, found {element.ValueKind}", 8);
        string code = Field(name, element, "dtype", JsonValueKind.String).GetString()!;
        if (!ElementTypes.TryParseSafeTensorsCode(code, out ElementType type))
            throw Error($"tensor '{name}': unknown dtype '{code}'", 8);
        int[] shape = Field(name, element, "shape", JsonValueKind.Array).EnumerateArray()
            .Select(d => d.TryGetInt32(out int dim) && dim >= 0 ? dim : throw Error($"tensor '{name}': bad dimension {d} in shape", 8))
            .ToArray();
        long[] offsets = Field(name, element, "data_offsets", JsonValueKind.Array).EnumerateArray()
            .Select(o => o.TryGetInt64(out long value) && value >= 0 ? value : throw Error($"tensor '{name}': bad data offset {o}", 8))
            .ToArray();
        if (offsets.Length != 2)
            throw Error($"tensor '{name}': data_offsets must be [begin, end], found {offsets.Length} numbers", 8);
        long begin = offsets[0], end = offsets[1];
        if (end < begin)
            throw Error($"tensor '{name}': data_offsets [{begin}, {end}] end before they begin", 8);
        if (end > DataLength)
            throw Error($"tensor '{name}': data_offsets [{begin}, {end}] run past the {DataLength}-byte data block", 8);
        long count = ElementCount(name, shape);
        if (end - begin != count * type.SizeInBytes())
            throw Error(
                $"tensor '{name}': shape [{string.Join(", ", shape)}] of {code} needs {count * type.SizeInBytes()} bytes but data_offsets [{begin}, {end}] span {end - begin}",
                8);
        return new SafeTensorsTensorInfo(name, type, shape, begin, end);
    }

    private long ElementCount(string name, int[] shape)
    {
        long count = 1;
        foreach (int dim in shape)
        {
            if (dim != 0 && count > Array.MaxLength / dim)
                throw Error($"tensor '{name}': shape [{string.Join(", ", shape)}] exceeds the largest .NET array", 8);
            count *= dim;
        }
        return count;
    }

    private JsonElement Field(string name, JsonElement entry, string field, JsonValueKind kind) =>
        entry.TryGetProperty(field, out JsonElement value) && value.ValueKind == kind
            ? value
            : throw Error($"tensor '{name}': header field '{field}' is missing or not a JSON {kind}", 8);

    /// <summary>Sorted by begin, each non-empty tensor must start at or after the previous one's end.</summary>
    private void CheckNoOverlap(List<SafeTensorsTensorInfo> sorted)
    {
        SafeTensorsTensorInfo? previous = null;
        foreach (SafeTensorsTensorInfo current in sorted.Where(t => t.DataEnd > t.DataBegin))
        {
            if (previous is not null && current.DataBegin < previous.DataEnd)
                throw Error(
                    $"tensors '{previous.Name}' [{previous.DataBegin}, {previous.DataEnd}] and '{current.Name}' [{current.DataBegin}, {current.DataEnd}] overlap",
                    8);
            previous = current;
        }
    }
}
