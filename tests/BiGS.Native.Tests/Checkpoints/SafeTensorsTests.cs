using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using BiGS.Native.Checkpoints;
using Xunit;

namespace BiGS.Native.Tests.Checkpoints;

/// <summary>safetensors reading of crafted (good and bad) files, and the atomic writer.</summary>
public sealed class SafeTensorsTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "bigs-safetensors-tests-" + Guid.NewGuid().ToString("N"));

    public SafeTensorsTests() => System.IO.Directory.CreateDirectory(directory);

    public void Dispose() => System.IO.Directory.Delete(directory, recursive: true);

    /// <summary>Builds a file by hand: 8-byte little-endian header length, the JSON text, the data block.</summary>
    private static byte[] Craft(string headerJson, byte[] data, ulong? declaredLength = null)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        var file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, declaredLength ?? (ulong)header.Length);
        header.CopyTo(file, 8);
        data.CopyTo(file, 8 + header.Length);
        return file;
    }

    private static SafeTensorsReader Open(byte[] file) => new(new MemoryStream(file), "crafted.safetensors");

    private static CheckpointFormatException Rejects(byte[] file) =>
        Assert.Throws<CheckpointFormatException>(() => Open(file).ReadTensors().ToList());

    [Fact]
    public void ReadsEveryDtypeWidened()
    {
        byte[] data =
        [
            .. BitConverter.GetBytes(1.5f), .. BitConverter.GetBytes(-2f),          // F32  [0, 8)
            .. BitConverter.GetBytes((ushort)0x3c00),                               // F16  [8, 10)  = 1
            .. BitConverter.GetBytes((ushort)0xc0a0),                               // BF16 [10, 12) = -5
            .. BitConverter.GetBytes(0.25),                                         // F64  [12, 20)
            .. BitConverter.GetBytes(-9), .. BitConverter.GetBytes(long.MaxValue),  // I32 [20, 24), I64 [24, 32)
            .. BitConverter.GetBytes((short)-300), 0xfe, 0xfe, 1, 0,                // I16 [32, 34), I8 [34], U8 [35], BOOL [36, 38)
        ];
        string header = """
            {"f32":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
             "f16":{"dtype":"F16","shape":[],"data_offsets":[8,10]},
             "bf16":{"dtype":"BF16","shape":[1],"data_offsets":[10,12]},
             "f64":{"dtype":"F64","shape":[1,1],"data_offsets":[12,20]},
             "i32":{"dtype":"I32","shape":[1],"data_offsets":[20,24]},
             "i64":{"dtype":"I64","shape":[1],"data_offsets":[24,32]},
             "i16":{"dtype":"I16","shape":[1],"data_offsets":[32,34]},
             "i8":{"dtype":"I8","shape":[1],"data_offsets":[34,35]},
             "u8":{"dtype":"U8","shape":[1],"data_offsets":[35,36]},
             "flags":{"dtype":"BOOL","shape":[2],"data_offsets":[36,38]},
             "__metadata__":{"format":"pt","note":"crafted"}}
            """;
        using SafeTensorsReader reader = Open(Craft(header, data));
        Assert.Equal("crafted", reader.Metadata["note"]);
        var t = reader.ReadTensors().ToDictionary(x => x.Name);
        Assert.Equal([1.5f, -2f], t["f32"].Floats!);
        Assert.Equal([1f], t["f16"].Floats!);
        Assert.Empty(t["f16"].Shape);
        Assert.Equal([-5f], t["bf16"].Floats!);
        Assert.Equal([0.25f], t["f64"].Floats!);
        Assert.Equal([-9], t["i32"].Ints!);
        Assert.Equal([long.MaxValue], t["i64"].Longs!);
        Assert.Equal([-300], t["i16"].Ints!);
        Assert.Equal([-2], t["i8"].Ints!);
        Assert.Equal([254], t["u8"].Ints!);
        Assert.Equal([1, 0], t["flags"].Ints!);
        Assert.Equal(ElementType.BFloat16, t["bf16"].StoredType);
    }

    /// <summary>Reading one tensor allocates it once: the bytes go straight into the float array.</summary>
    [Fact]
    public void LargeTensorsAreReadWithoutASecondCopy()
    {
        const int count = 2_000_000;
        byte[] file = Craft($$$"""{"big":{"dtype":"F32","shape":[{{{count}}}],"data_offsets":[0,{{{count * 4}}}]}}""", new byte[count * 4]);
        using SafeTensorsReader reader = Open(file);
        long before = GC.GetAllocatedBytesForCurrentThread();
        CheckpointTensor tensor = reader.Read("big");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(count, tensor.Floats!.Length);
        Assert.InRange(allocated, count * 4L, count * 4L + 200_000);
    }

    [Fact]
    public void GapsAndZeroSizedTensorsAreAllowed()
    {
        byte[] data = [.. new byte[4], .. BitConverter.GetBytes(3f)];
        string header = """{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"e":{"dtype":"F32","shape":[0,5],"data_offsets":[4,4]}}""";
        using SafeTensorsReader reader = Open(Craft(header, data));
        Assert.Equal([3f], reader.Read("b").Floats!);
        Assert.Equal(0, reader.Read("e").ElementCount);
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""",
        "tensors 'a' [0, 8] and 'b' [4, 8] overlap")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}""",
        "tensor 'a': data_offsets [0, 12] run past the 8-byte data block")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}""",
        "tensor 'a': data_offsets [8, 4] end before they begin")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""",
        "tensor 'a': shape [3] of F32 needs 12 bytes but data_offsets [0, 8] span 8")]
    [InlineData("""{"a":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}}""",
        "tensor 'a': unknown dtype 'F8_E4M3'")]
    [InlineData("""{"a":{"dtype":"F32","data_offsets":[0,8]}}""",
        "tensor 'a': header field 'shape' is missing or not a JSON Array")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""",
        "tensor 'a': bad dimension -2 in shape")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}""",
        "tensor 'a': data_offsets must be [begin, end], found 1 numbers")]
    [InlineData("""{"__metadata__":{"n":1}}""",
        "__metadata__ entry 'n' must be a string, found Number")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""",
        "header names 'a' twice")]
    [InlineData("""[1, 2]""", "header must be a JSON object, found Array")]
    [InlineData("""{"a": """, "header is not valid JSON")]
    public void BadHeadersAreRejectedNamingFileTensorAndNumbers(string header, string expected)
    {
        CheckpointFormatException e = Rejects(Craft(header, new byte[8]));
        Assert.StartsWith("crafted.safetensors: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void HeaderLengthBeyondTheFileIsRejectedBeforeAllocating()
    {
        CheckpointFormatException e = Rejects(Craft("{}", [], declaredLength: 1UL << 62));
        Assert.Contains($"header length {1UL << 62} exceeds the 2 bytes after the 8-byte length prefix (file size 10)", e.Message);
    }

    [Fact]
    public void EveryTruncationOfAValidFileIsReportedCleanly()
    {
        string header = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";
        byte[] file = Craft(header, [.. BitConverter.GetBytes(1f), .. BitConverter.GetBytes(2f)]);
        for (int length = 0; length < file.Length; length++)
        {
            CheckpointFormatException e = Rejects(file[..length]);
            Assert.StartsWith("crafted.safetensors: ", e.Message);
        }
    }

    [Fact]
    public void WriterRoundTripsFloatIntAndLongTensorsWithMetadata()
    {
        string path = Path.Combine(directory, "model.safetensors");
        CheckpointTensor[] tensors =
        [
            CheckpointTensor.FromFloats("w", [2, 3], [1, -2, 3.5f, 4, 5, float.MinValue]),
            CheckpointTensor.FromInts("ids", [3], [7, -8, int.MaxValue]),
            CheckpointTensor.FromLongs("step", [], [1L << 40]),
            CheckpointTensor.FromFloats("b", [1], [0.125f]),
        ];
        SafeTensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });

        byte[] file = File.ReadAllBytes(path);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert.Equal(0UL, headerLength % 8);
        using (JsonDocument header = JsonDocument.Parse(file.AsMemory(8, (int)headerLength)))
        {
            JsonElement w = header.RootElement.GetProperty("w");
            Assert.Equal("F32", w.GetProperty("dtype").GetString());
            Assert.Equal([0L, 24L], w.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
            Assert.Equal("pt", header.RootElement.GetProperty("__metadata__").GetProperty("format").GetString());
        }
        Assert.Equal(BitConverter.GetBytes(3.5f), file[(8 + (int)headerLength + 8)..(8 + (int)headerLength + 12)]);

        using SafeTensorsReader reader = SafeTensorsReader.Open(path);
        Assert.Equal("pt", reader.Metadata["format"]);
        var back = reader.ReadTensors().ToDictionary(t => t.Name);
        Assert.Equal(tensors[0].Floats!, back["w"].Floats!);
        Assert.Equal([2, 3], back["w"].Shape);
        Assert.Equal(tensors[1].Ints!, back["ids"].Ints!);
        Assert.Equal(ElementType.Int64, back["step"].StoredType);
        Assert.Equal([1L << 40], back["step"].Longs!);
        Assert.Empty(back["step"].Shape);
        Assert.Equal([0.125f], back["b"].Floats!);
    }

    [Fact]
    public void FailedWriteLeavesThePreviousFileAndNoTemporaryFile()
    {
        string path = Path.Combine(directory, "model.safetensors");
        SafeTensorsWriter.Write(path, [CheckpointTensor.FromFloats("w", [2], [1, 2])]);
        byte[] before = File.ReadAllBytes(path);

        SafeTensorsEntry[] failing =
        [
            SafeTensorsWriter.EntryFor(CheckpointTensor.FromFloats("w", [2], [3, 4])),
            new("x", ElementType.Float32, [1024], stream =>
            {
                stream.Write(new byte[2048]);
                throw new IOException("simulated disk full");
            }),
        ];
        var e = Assert.Throws<IOException>(() => SafeTensorsWriter.Write(path, failing));
        Assert.Equal("simulated disk full", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], System.IO.Directory.GetFiles(directory));
    }

    [Fact]
    public void EntryWritingTheWrongByteCountIsAnErrorAndLeavesNoFile()
    {
        string path = Path.Combine(directory, "short.safetensors");
        SafeTensorsEntry[] entries = [new("x", ElementType.Int32, [4], stream => stream.Write(new byte[12]))];
        var e = Assert.Throws<CheckpointFormatException>(() => SafeTensorsWriter.Write(path, entries));
        Assert.Contains("tensor 'x': wrote 12 bytes but shape [4] of I32 needs 16", e.Message);
        Assert.Empty(System.IO.Directory.GetFiles(directory));
    }

    [Fact]
    public void DuplicateNamesAreRejectedBeforeWriting()
    {
        string path = Path.Combine(directory, "dup.safetensors");
        CheckpointTensor a = CheckpointTensor.FromFloats("a", [1], [1]);
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, [a, a]));
        Assert.Empty(System.IO.Directory.GetFiles(directory));
    }
}
