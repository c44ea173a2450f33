using Xunit;
using BiGS.Native.Checkpoints;

namespace BiGS.Native.Tests.Checkpoints;

/// <summary>Flax msgpack reading on crafted files: dtypes, ext types, chunked arrays, wrappers and bad input.</summary>
public class FlaxMsgpackReaderTests
{
    private static Dictionary<string, CheckpointTensor> Read(byte[] file) =>
        FlaxMsgpackReader.ReadTensors(new MemoryStream(file), "crafted.msgpack").ToDictionary(t => t.Name);

    private static byte[] LittleEndian16(params ushort[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    [Fact]
    public void ReadsNestedFloat32ArraysUnderSlashJoinedPaths()
    {
        byte[] file = new TestMsgPackWriter()
            .Map(2)
            .Str("enc").Map(1).Str("dense").Map(2)
                .Str("kernel").Float32Array([2, 3], 1, 2, 3, 4, 5, 6)
                .Str("bias").Float32Array([3], -1, 0, 1)
            .Str("scalar_leaf").Float32Array([], 7.5f)
            .ToArray();
        var tensors = Read(file);
        Assert.Equal(["enc/dense/bias", "enc/dense/kernel", "scalar_leaf"], tensors.Keys.Order());
        CheckpointTensor kernel = tensors["enc/dense/kernel"];
        Assert.Equal([2, 3], kernel.Shape);
        Assert.Equal(ElementType.Float32, kernel.StoredType);
        Assert.Equal([1f, 2, 3, 4, 5, 6], kernel.Floats!);
        Assert.Empty(tensors["scalar_leaf"].Shape);
        Assert.Equal([7.5f], tensors["scalar_leaf"].Floats!);
    }

    [Fact]
    public void Float16IsWidenedExactlyAsSystemHalf()
    {
        ushort[] bits = [0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x8000, 0x7c00];
        byte[] file = new TestMsgPackWriter().Map(1).Str("h").Ndarray([7], "float16", LittleEndian16(bits)).ToArray();
        CheckpointTensor tensor = Read(file)["h"];
        Assert.Equal(ElementType.Float16, tensor.StoredType);
        Assert.Equal(bits.Select(b => (float)BitConverter.UInt16BitsToHalf(b)), tensor.Floats!);
        Assert.Equal(65504f, tensor.Floats![3]);
        Assert.Equal(float.PositiveInfinity, tensor.Floats[6]);
    }

    [Fact]
    public void BFloat16IsWidenedAsTheTopHalfOfAFloat32()
    {
        ushort[] bits = [0x3f80, 0xc049, 0x3f81, 0x0000, 0x4780];
        byte[] file = new TestMsgPackWriter().Map(1).Str("b").Ndarray([5], "bfloat16", LittleEndian16(bits)).ToArray();
        CheckpointTensor tensor = Read(file)["b"];
        Assert.Equal(ElementType.BFloat16, tensor.StoredType);
        Assert.Equal(bits.Select(ManualBFloat16), tensor.Floats!.Select(f => (double)f));
    }

    /// <summary>bfloat16 decoded by hand: 1 sign bit, 8 exponent bits (bias 127), 7 mantissa bits (normal numbers and zero).</summary>
    private static double ManualBFloat16(ushort bits)
    {
        int sign = bits >> 15, exponent = (bits >> 7) & 0xff, mantissa = bits & 0x7f;
        double magnitude = exponent == 0 && mantissa == 0 ? 0 : (1 + mantissa / 128.0) * Math.Pow(2, exponent - 127);
        return sign == 1 ? -magnitude : magnitude;
    }

    [Fact]
    public void IntegerDtypesAreKeptAsIntegers()
    {
        byte[] file = new TestMsgPackWriter().Map(6)
            .Str("i8").Ndarray([3], "int8", [0xff, 0x7f, 0x80])
            .Str("u8").Ndarray([2], "uint8", [0xff, 0x01])
            .Str("i16").Ndarray([2], "int16", LittleEndian16(0xfffe, 0x7fff))
            .Str("i32").Ndarray([2], "int32", [.. BitConverter.GetBytes(-7), .. BitConverter.GetBytes(int.MaxValue)])
            .Str("i64").Ndarray([2], "int64", [.. BitConverter.GetBytes(long.MinValue), .. BitConverter.GetBytes(5L)])
            .Str("flag").Ndarray([3], "bool", [1, 0, 1])
            .ToArray();
        var t = Read(file);
        Assert.Equal([-1, 127, -128], t["i8"].Ints!);
        Assert.Equal([255, 1], t["u8"].Ints!);
        Assert.Equal([-2, 32767], t["i16"].Ints!);
        Assert.Equal([-7, int.MaxValue], t["i32"].Ints!);
        Assert.Equal([long.MinValue, 5L], t["i64"].Longs!);
        Assert.Equal([1, 0, 1], t["flag"].Ints!);
        Assert.Equal(ElementType.Bool, t["flag"].StoredType);
        Assert.Null(t["i64"].Floats!);
    }

    [Fact]
    public void Float64IsRoundedToFloat32()
    {
        byte[] file = new TestMsgPackWriter().Map(1).Str("d").Ndarray([2], "float64", [.. BitConverter.GetBytes(0.1), .. BitConverter.GetBytes(-1e300)]).ToArray();
        CheckpointTensor tensor = Read(file)["d"];
        Assert.Equal(ElementType.Float64, tensor.StoredType);
        Assert.Equal([0.1f, float.NegativeInfinity], tensor.Floats!);
    }

    [Fact]
    public void NumpyScalarAndComplexExtensionsAndPlainNumbers()
    {
        byte[] complexPayload = new TestMsgPackWriter().Array(2).Float64(1.25).Float64(-0.5).ToArray();
        byte[] file = new TestMsgPackWriter().Map(5)
            .Str("step").Ndarray([], "int32", BitConverter.GetBytes(1234), extType: 3)
            .Str("z").Ext(2, complexPayload)
            .Str("count").Int(300)
            .Str("rate").Float64(0.25)
            .Str("empty").Nil()
            .ToArray();
        var t = Read(file);
        Assert.Equal(4, t.Count);
        Assert.Empty(t["step"].Shape);
        Assert.Equal([1234], t["step"].Ints!);
        Assert.Equal([2], t["z"].Shape);
        Assert.Equal([1.25f, -0.5f], t["z"].Floats!);
        Assert.Equal([300L], t["count"].Longs!);
        Assert.Equal([0.25f], t["rate"].Floats!);
    }

    /// <summary>Loading allocates the tensor once: the raw bytes go straight into the float array, no second copy.</summary>
    [Theory]
    [InlineData("float32", 4)]
    [InlineData("bfloat16", 2)]
    public void LargeArraysAreReadWithoutASecondCopy(string dtype, int itemSize)
    {
        const int count = 2_000_000;
        byte[] file = new TestMsgPackWriter().Map(1).Str("big").Ndarray([count], dtype, new byte[count * itemSize]).ToArray();
        var stream = new MemoryStream(file);
        long before = GC.GetAllocatedBytesForCurrentThread();
        CheckpointTensor tensor = FlaxMsgpackReader.ReadTensors(stream).Single();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(count, tensor.Floats!.Length);
        Assert.InRange(allocated, count * 4L, count * 4L + 200_000);
    }

    [Fact]
    public void ChunkedArraysAreConcatenatedAndReshaped()
    {
        byte[] file = new TestMsgPackWriter().Map(1).Str("big").Map(3)
            .Str("__msgpack_chunked_array__").Bool(true)
            .Str("shape").Map(2).Str("0").Int(2).Str("1").Int(3)
            .Str("chunks").Map(2)
                .Str("0").Float32Array([4], 0, 1, 2, 3)
                .Str("1").Float32Array([2], 4, 5)
            .ToArray();
        CheckpointTensor tensor = Read(file)["big"];
        Assert.Equal([2, 3], tensor.Shape);
        Assert.Equal([0f, 1, 2, 3, 4, 5], tensor.Floats!);
    }

    [Fact]
    public void ChunkedArrayWithTooFewElementsIsRejected()
    {
        byte[] file = new TestMsgPackWriter().Map(1).Str("big").Map(3)
            .Str("__msgpack_chunked_array__").Bool(true)
            .Str("shape").Map(1).Str("0").Int(5)
            .Str("chunks").Map(1).Str("0").Float32Array([4], 0, 1, 2, 3)
            .ToArray();
        var e = Assert.Throws<CheckpointFormatException>(() => Read(file));
        Assert.Contains("chunks hold 4 elements, shape [5] needs 5", e.Message);
    }

    [Fact]
    public void SoleParamsWrapperIsStrippedButNotWhenOtherKeysExist()
    {
        byte[] wrapped = new TestMsgPackWriter().Map(1).Str("params").Map(1).Str("w").Map(1).Str("bias").Float32Array([1], 3).ToArray();
        Assert.Equal(["w/bias"], Read(wrapped).Keys);
        byte[] withState = new TestMsgPackWriter().Map(2)
            .Str("params").Map(1).Str("bias").Float32Array([1], 3)
            .Str("step").Int(1).ToArray();
        Assert.Equal(["params/bias", "step"], Read(withState).Keys.Order());
    }

    [Fact]
    public void ReadTensorsIsLazy()
    {
        byte[] file = new TestMsgPackWriter().Map(2).Str("a").Float32Array([1], 1).Str("b").Byte(0xc1).ToArray();
        using IEnumerator<CheckpointTensor> tensors = FlaxMsgpackReader.ReadTensors(new MemoryStream(file)).GetEnumerator();
        Assert.True(tensors.MoveNext());
        Assert.Equal("a", tensors.Current.Name);
        Assert.Throws<CheckpointFormatException>(() => tensors.MoveNext());
    }

    [Fact]
    public void UnknownDtypeIsNamed()
    {
        byte[] file = new TestMsgPackWriter().Map(1).Str("c").Ndarray([1], "complex64", new byte[8]).ToArray();
        var e = Assert.Throws<CheckpointFormatException>(() => Read(file));
        Assert.Contains("unknown dtype 'complex64' for 'c'", e.Message);
    }

    [Fact]
    public void ByteCountNotMatchingShapeIsRejected()
    {
        byte[] file = new TestMsgPackWriter().Map(1).Str("w").Ndarray([2, 2], "float32", new byte[12]).ToArray();
        var e = Assert.Throws<CheckpointFormatException>(() => Read(file));
        Assert.Contains("'w': shape [2, 2] of float32 needs 16 bytes but the bin at offset", e.Message);
    }

    [Fact]
    public void TrailingBytesAreRejected()
    {
        byte[] file = new TestMsgPackWriter().Map(1).Str("a").Float32Array([1], 1).Int(0).ToArray();
        var e = Assert.Throws<CheckpointFormatException>(() => Read(file));
        Assert.Contains("1 unexpected bytes after the top-level map", e.Message);
    }

    /// <summary>Every proper prefix of a valid file fails with a format error naming an offset, never a crash.</summary>
    [Fact]
    public void EveryTruncationFailsWithAnOffset()
    {
        byte[] file = new TestMsgPackWriter().Map(2)
            .Str("layer").Map(1).Str("kernel").Float32Array([2, 2], 1, 2, 3, 4)
            .Str("z").Ext(2, new TestMsgPackWriter().Array(2).Float64(1).Float64(2).ToArray())
            .ToArray();
        Assert.Equal(2, Read(file).Count);
        for (int length = 0; length < file.Length; length++)
        {
            byte[] prefix = file[..length];
            var seekable = Assert.Throws<CheckpointFormatException>(() => Read(prefix));
            Assert.Matches("offset \\d+", seekable.Message);
            Assert.StartsWith("crafted.msgpack: ", seekable.Message);
            var forwardOnly = Assert.Throws<CheckpointFormatException>(
                () => FlaxMsgpackReader.ReadTensors(new ForwardOnlyStream(prefix)).ToList());
            Assert.Matches("offset \\d+", forwardOnly.Message);
        }
    }

    /// <summary>Random garbage and randomly corrupted files never escape as anything but a format error.</summary>
    [Fact]
    public void GarbageFailsCleanly()
    {
        byte[] valid = new TestMsgPackWriter().Map(1).Str("a").Map(2)
            .Str("kernel").Float32Array([3, 2], 1, 2, 3, 4, 5, 6).Str("bias").Float32Array([2], 7, 8).ToArray();
        var random = new Random(20240611);
        for (int trial = 0; trial < 400; trial++)
        {
            byte[] bytes;
            if (trial % 2 == 0)
            {
                bytes = new byte[random.Next(1, 64)];
                random.NextBytes(bytes);
            }
            else
            {
                bytes = (byte[])valid.Clone();
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }
            try
            {
                Read(bytes);
            }
            catch (CheckpointFormatException e)
            {
                Assert.Contains("offset", e.Message);
            }
        }
    }
}
