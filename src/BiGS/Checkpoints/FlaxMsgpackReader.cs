using BiGS.Native.Checkpoints.MsgPack;

namespace BiGS.Native.Checkpoints;

/// <summary>
/// Reads Flax checkpoints (<c>flax.serialization.to_bytes</c>, e.g. flax_model.msgpack): a msgpack
/// map tree whose leaves become tensors named by their <c>/</c>-joined key path. Leaves:
/// ExtType 1 (ndarray: payload is msgpack <c>[shape, dtype name, raw C-order bytes]</c>),
/// ExtType 3 (numpy scalar, same payload with shape ()), ExtType 2 (Python complex <c>[re, im]</c>,
/// returned as a Float64-typed tensor of shape [2]), plain msgpack numbers and bools (scalars);
/// nil leaves (empty subtrees) are skipped. Maps marked <c>__msgpack_chunked_array__</c> are
/// reassembled. A single top-level <c>params</c> key is stripped from the paths.
/// </summary>
public static class FlaxMsgpackReader
{
    private const int ExtNdarray = 1;
    private const int ExtComplex = 2;
    private const int ExtNumpyScalar = 3;
    private const string ChunkedMarker = "__msgpack_chunked_array__";
    private const int MaxDepth = 64;
    private const int MaxRank = 32;

    /// <summary>
    /// Reads all tensors of a file into a dictionary keyed by Flax path.
    /// </summary>
    /// <exception cref="CheckpointFormatException">The file is malformed; the message names it and the offset.</exception>
    public static Dictionary<string, CheckpointTensor> ReadAll(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        var tensors = new Dictionary<string, CheckpointTensor>();
        foreach (CheckpointTensor tensor in ReadTensors(stream, path))
        {
            if (!tensors.TryAdd(tensor.Name, tensor))
                throw new CheckpointFormatException($"tensor path '{tensor.Name}' occurs twice", path);
        }
        return tensors;
    }

    /// <summary>
    /// Lazily reads the tensors in file order, one materialised at a time: each is fully read
    /// before it is yielded and the next is not touched until the enumeration moves on.
    /// </summary>
    /// <param name="stream">Input positioned at the start of the msgpack data.</param>
    /// <param name="sourceName">File name for error messages, or null.</param>
    public static IEnumerable<CheckpointTensor> ReadTensors(Stream stream, string? sourceName = null)
    {
        var reader = new MsgPackReader(stream, sourceName);
        MsgPackToken root = reader.ReadToken(MsgPackKind.Map, "the top-level map of a Flax checkpoint");
        IEnumerable<CheckpointTensor> tensors = root.Length == 1
            ? ReadSingleRootEntry(reader)
            : ReadMapEntries(reader, "", root.Length, depth: 1);
        foreach (CheckpointTensor tensor in tensors)
            yield return tensor;
        if (reader.EndOffset is long end && reader.Offset != end)
            throw reader.Error($"{end - reader.Offset} unexpected bytes after the top-level map, from offset {reader.Offset}", reader.Offset);
    }

    /// <summary>A root with one key: a <c>params</c> wrapper around a map is dropped from the paths.</summary>
    private static IEnumerable<CheckpointTensor> ReadSingleRootEntry(MsgPackReader reader)
    {
        string key = ReadKey(reader);
        MsgPackToken value = reader.ReadToken();
        bool isParamsWrapper = key == "params" && value.Kind == MsgPackKind.Map;
        return ReadValue(reader, isParamsWrapper ? "" : key, value, depth: 1);
    }

    private static IEnumerable<CheckpointTensor> ReadValue(MsgPackReader reader, string path, MsgPackToken token, int depth)
    {
        if (depth > MaxDepth)
            throw reader.Error($"maps nested deeper than {MaxDepth} levels at '{path}', offset {token.Offset}", token.Offset);
        switch (token.Kind)
        {
            case MsgPackKind.Map:
                foreach (CheckpointTensor tensor in ReadMap(reader, path, token, depth))
                    yield return tensor;
                break;
            case MsgPackKind.Extension:
                yield return ReadExtensionLeaf(reader, path, token);
                break;
            case MsgPackKind.Integer:
                yield return CheckpointTensor.FromLongs(path, [], [token.Integer]);
                break;
            case MsgPackKind.Float:
                yield return CheckpointTensor.FromFloats(path, [], [(float)token.Float], ElementType.Float64);
                break;
            case MsgPackKind.Boolean:
                yield return CheckpointTensor.FromInts(path, [], [token.Boolean ? 1 : 0], ElementType.Bool);
                break;
            case MsgPackKind.Nil:
                break;
            default:
                throw reader.Error($"unsupported leaf for '{path}': {token}", token.Offset);
        }
    }

    /// <summary>A map is either a chunked array (marker key first, as Flax writes it) or a subtree.</summary>
    private static IEnumerable<CheckpointTensor> ReadMap(MsgPackReader reader, string path, MsgPackToken map, int depth)
    {
        if (map.Length == 0)
            yield break;
        string firstKey = ReadKey(reader);
        if (firstKey == ChunkedMarker)
        {
            yield return ReadChunkedArray(reader, path, map);
            yield break;
        }
        foreach (CheckpointTensor tensor in ReadValue(reader, Join(path, firstKey), reader.ReadToken(), depth + 1))
            yield return tensor;
        foreach (CheckpointTensor tensor in ReadMapEntries(reader, path, map.Length - 1, depth))
            yield return tensor;
    }

    private static IEnumerable<CheckpointTensor> ReadMapEntries(MsgPackReader reader, string path, long count, int depth)
    {
        for (long i = 0; i < count; i++)
        {
            long keyOffset = reader.Offset;
            string key = ReadKey(reader);
            if (key == ChunkedMarker)
                throw reader.Error($"'{ChunkedMarker}' must be the first key of its map ('{path}', offset {keyOffset})", keyOffset);
            foreach (CheckpointTensor tensor in ReadValue(reader, Join(path, key), reader.ReadToken(), depth + 1))
                yield return tensor;
        }
    }

    private static string ReadKey(MsgPackReader reader) =>
        reader.ReadToken(MsgPackKind.String, "a string map key").String!;

    private static string Join(string prefix, string key) => prefix.Length == 0 ? key : prefix + "/" + key;

    private static CheckpointTensor ReadExtensionLeaf(MsgPackReader reader, string path, MsgPackToken ext)
    {
        long payloadStart = reader.Offset;
        reader.EnsureAvailable(ext.Length, $"ext payload of '{path}'");
        CheckpointTensor tensor;
        switch (ext.ExtensionType)
        {
            case ExtNdarray:
            case ExtNumpyScalar:
                ArrayHeader header = ReadArrayHeader(reader, path);
                if (ext.ExtensionType == ExtNumpyScalar && header.Shape.Length != 0)
                    throw reader.Error($"numpy scalar '{path}' (ext 3 at offset {ext.Offset}) has shape [{string.Join(", ", header.Shape)}], expected ()", ext.Offset);
                tensor = CheckpointTensor.Allocate(path, header.Shape, header.Type);
                ReadArrayData(reader, path, tensor, 0, header);
                break;
            case ExtComplex:
                tensor = ReadComplex(reader, path);
                break;
            default:
                throw reader.Error($"unsupported Flax ext type {ext.ExtensionType} for '{path}' at offset {ext.Offset}", ext.Offset);
        }
        CheckPayloadConsumed(reader, path, ext, payloadStart);
        return tensor;
    }

    /// <summary>The msgpack value inside an ext payload must fill exactly the declared length.</summary>
    private static void CheckPayloadConsumed(MsgPackReader reader, string path, MsgPackToken ext, long payloadStart)
    {
        if (reader.Offset != payloadStart + ext.Length)
            throw reader.Error(
                $"ext payload of '{path}' at offset {payloadStart} declares {ext.Length} bytes but its content ends after {reader.Offset - payloadStart}",
                payloadStart);
    }

    /// <summary>ExtType 2: msgpack <c>[re, im]</c>, returned as Float64-typed values [re, im] of shape [2].</summary>
    private static CheckpointTensor ReadComplex(MsgPackReader reader, string path)
    {
        MsgPackToken pair = reader.ReadToken(MsgPackKind.Array, $"the [re, im] pair of complex '{path}'");
        if (pair.Length != 2)
            throw reader.Error($"complex '{path}' at offset {pair.Offset} has {pair.Length} parts, expected 2", pair.Offset);
        double re = reader.ReadToken(MsgPackKind.Float, $"the real part of '{path}'").Float;
        double im = reader.ReadToken(MsgPackKind.Float, $"the imaginary part of '{path}'").Float;
        return CheckpointTensor.FromFloats(path, [2], [(float)re, (float)im], ElementType.Float64);
    }

    /// <summary>The decoded part of an ndarray payload, up to (not including) the raw bytes.</summary>
    private readonly record struct ArrayHeader(int[] Shape, ElementType Type, long ElementCount);

    /// <summary>Reads <c>[shape, dtype name, bin header]</c> and checks the byte count against the shape.</summary>
    private static ArrayHeader ReadArrayHeader(MsgPackReader reader, string path)
    {
        MsgPackToken triple = reader.ReadToken(MsgPackKind.Array, $"the [shape, dtype, bytes] payload of '{path}'");
        if (triple.Length != 3)
            throw reader.Error($"array payload of '{path}' at offset {triple.Offset} has {triple.Length} parts, expected 3 (shape, dtype, bytes)", triple.Offset);

        MsgPackToken shapeToken = reader.ReadToken(MsgPackKind.Array, $"the shape of '{path}'");
        if (shapeToken.Length > MaxRank)
            throw reader.Error($"shape of '{path}' at offset {shapeToken.Offset} has {shapeToken.Length} dimensions (at most {MaxRank} supported)", shapeToken.Offset);
        var shape = new int[shapeToken.Length];
        for (int i = 0; i < shape.Length; i++)
            shape[i] = ReadDimension(reader, path);

        MsgPackToken dtype = reader.ReadToken(MsgPackKind.String, $"the dtype name of '{path}'");
        if (!ElementTypes.TryParseNumpyName(dtype.String!, out ElementType type))
            throw reader.Error($"unknown dtype '{dtype.String}' for '{path}' at offset {dtype.Offset}", dtype.Offset);

        MsgPackToken bytes = reader.ReadToken(MsgPackKind.Binary, $"the raw bytes of '{path}'");
        long count = CheckedElementCount(reader, path, shape, shapeToken.Offset);
        long expected = count * type.SizeInBytes();
        if (bytes.Length != expected)
            throw reader.Error(
                $"'{path}': shape [{string.Join(", ", shape)}] of {dtype.String} needs {expected} bytes but the bin at offset {bytes.Offset} holds {bytes.Length}",
                bytes.Offset);
        return new ArrayHeader(shape, type, count);
    }

    private static int ReadDimension(MsgPackReader reader, string path)
    {
        MsgPackToken dim = reader.ReadToken(MsgPackKind.Integer, $"a dimension of '{path}'");
        return dim.Integer is >= 0 and <= int.MaxValue
            ? (int)dim.Integer
            : throw reader.Error($"dimension {dim.Integer} of '{path}' at offset {dim.Offset} is out of range", dim.Offset);
    }

    private static long CheckedElementCount(MsgPackReader reader, string path, int[] shape, long offset)
    {
        long count = 1;
        foreach (int dim in shape)
        {
            if (dim != 0 && count > Array.MaxLength / dim)
                throw reader.Error($"shape [{string.Join(", ", shape)}] of '{path}' at offset {offset} exceeds the largest .NET array", offset);
            count *= dim;
        }
        return count;
    }

    /// <summary>Reads the raw bytes of an array (checked to be present first) into <paramref name="target"/> from element <paramref name="start"/>.</summary>
    private static void ReadArrayData(MsgPackReader reader, string path, CheckpointTensor target, long start, ArrayHeader header)
    {
        string what = $"bin of '{path}'";
        reader.EnsureAvailable(header.ElementCount * header.Type.SizeInBytes(), what);
        ElementDecoder.ReadInto(target, start, header.ElementCount, bytes => reader.ReadBytes(bytes, what));
    }

    /// <summary>
    /// <c>{"__msgpack_chunked_array__": true, "shape": {"0": d0, ...}, "chunks": {"0": flat, ...}}</c>
    /// in the order Flax writes it (marker, shape, chunks; chunk keys "0", "1", ...). The chunks are
    /// read straight into one array of the final shape (no second copy).
    /// </summary>
    private static CheckpointTensor ReadChunkedArray(MsgPackReader reader, string path, MsgPackToken map)
    {
        MsgPackToken marker = reader.ReadToken(MsgPackKind.Boolean, $"the value of {ChunkedMarker} in '{path}'");
        if (!marker.Boolean || map.Length != 3)
            throw reader.Error($"chunked array '{path}' at offset {map.Offset} must be {{{ChunkedMarker}: true, shape, chunks}}", map.Offset);

        ExpectKey(reader, path, "shape");
        MsgPackToken shapeMap = reader.ReadToken(MsgPackKind.Map, $"the shape map of chunked array '{path}'");
        if (shapeMap.Length > MaxRank)
            throw reader.Error($"shape of '{path}' at offset {shapeMap.Offset} has {shapeMap.Length} dimensions (at most {MaxRank} supported)", shapeMap.Offset);
        var shape = new int[shapeMap.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            ExpectKey(reader, path, i.ToString());
            shape[i] = ReadDimension(reader, path);
        }
        long total = CheckedElementCount(reader, path, shape, shapeMap.Offset);

        ExpectKey(reader, path, "chunks");
        MsgPackToken chunks = reader.ReadToken(MsgPackKind.Map, $"the chunks map of chunked array '{path}'");
        CheckpointTensor? result = null;
        long filled = 0;
        for (int i = 0; i < chunks.Length; i++)
        {
            ExpectKey(reader, path, i.ToString());
            string chunkPath = $"{path} (chunk {i})";
            MsgPackToken ext = reader.ReadToken(MsgPackKind.Extension, $"ndarray chunk {i} of '{path}'");
            if (ext.ExtensionType != ExtNdarray)
                throw reader.Error($"chunk {i} of '{path}' at offset {ext.Offset} is ext type {ext.ExtensionType}, expected {ExtNdarray} (ndarray)", ext.Offset);
            long payloadStart = reader.Offset;
            ArrayHeader header = ReadArrayHeader(reader, chunkPath);
            result ??= CheckpointTensor.Allocate(path, shape, header.Type);
            if (header.Shape.Length != 1 || header.Type != result.StoredType || filled + header.ElementCount > total)
                throw reader.Error(
                    $"chunk {i} of '{path}' at offset {ext.Offset} is {header.Type.NumpyName()} [{string.Join(", ", header.Shape)}]: " +
                    $"expected a flat {result.StoredType.NumpyName()} chunk within the {total} elements, {filled} already filled", ext.Offset);
            ReadArrayData(reader, chunkPath, result, filled, header);
            filled += header.ElementCount;
            CheckPayloadConsumed(reader, chunkPath, ext, payloadStart);
        }
        if (result is null || filled != total)
            throw reader.Error($"chunked array '{path}' at offset {map.Offset}: chunks hold {filled} elements, shape [{string.Join(", ", shape)}] needs {total}", map.Offset);
        return result;
    }

    private static void ExpectKey(MsgPackReader reader, string path, string expected)
    {
        MsgPackToken key = reader.ReadToken(MsgPackKind.String, $"key \"{expected}\" of chunked array '{path}'");
        if (key.String != expected)
            throw reader.Error($"chunked array '{path}': expected key \"{expected}\" at offset {key.Offset}, found \"{key.String}\"", key.Offset);
    }
}
