using BiGS.Native.Kernels.Cpu;
using Xunit;
using static BiGS.Native.Tests.Kernels.KernelTestData;

namespace BiGS.Native.Tests.Kernels;

public class StridedCopyTests
{
    /// <summary>Naive reference: visit every multi-index of shape in row-major order and return the source offsets.</summary>
    internal static IEnumerable<int> ViewOffsets(int[] shape, int offset, int[] strides)
    {
        long count = shape.Aggregate(1L, (p, d) => p * d);
        var index = new int[shape.Length];
        for (long e = 0; e < count; e++)
        {
            long rest = e;
            for (int d = shape.Length - 1; d >= 0; d--) { index[d] = (int)(rest % shape[d]); rest /= shape[d]; }
            int position = offset;
            for (int d = 0; d < shape.Length; d++) position += index[d] * strides[d];
            yield return position;
        }
    }

    public static TheoryData<int[], int, int[], int> Views() => new()
    {
        // shape, offset, strides, source length
        { [3, 17], 0, [17, 1], 51 },                 // contiguous
        { [17, 3], 0, [1, 17], 51 },                 // transpose
        { [4, 5], 7, [0, 1], 12 },                   // broadcast rows
        { [5, 4], 2, [1, 0], 7 },                    // broadcast columns
        { [2, 3, 9], 26, [27, -9, -1], 54 },         // flips on two axes
        { [255, 1000], 0, [1000, 1], 255000 },       // large, parallel
        { [64, 1025], 1024, [1025, -1], 64 * 1025 }, // large flip of the last axis
        { [1, 1], 3, [5, 5], 4 },                    // single element
        { [], 2, [], 3 },                            // rank 0
    };

    [Theory]
    [MemberData(nameof(Views))]
    public void Copy_gathers_exactly_the_viewed_elements(int[] shape, int offset, int[] strides, int sourceLength)
    {
        var src = Uniform(5, sourceLength, -1, 1);
        var dst = new float[shape.Aggregate(1, (p, d) => p * d)];
        StridedCopy.Copy(shape, src, offset, strides, dst);
        Assert.Equal(ViewOffsets(shape, offset, strides).Select(i => src[i]).ToArray(), dst);

        var ints = Enumerable.Range(0, sourceLength).Select(i => i * 3 - 7).ToArray();
        var intDst = new int[dst.Length];
        StridedCopy.Copy(shape, ints, offset, strides, intDst);
        Assert.Equal(ViewOffsets(shape, offset, strides).Select(i => ints[i]).ToArray(), intDst);
    }

    [Fact]
    public void Copy_rejects_views_outside_the_buffer()
    {
        var error = Assert.Throws<ArgumentException>(() => StridedCopy.Copy([3, 4], new float[11], 0, [4, 1], new float[12]));
        Assert.Contains("11", error.Message);
        Assert.Throws<ArgumentException>(() => StridedCopy.Copy([3], new float[3], 0, [-1], new float[3]));
        Assert.Throws<ArgumentException>(() => StridedCopy.Copy([3], new float[3], 0, [1], new float[4]));
    }

    public static TheoryData<int[], int[]> Reductions() => new()
    {
        { [3, 17], [1, 17] },
        { [3, 17], [3, 1] },
        { [3, 17], [1, 1] },
        { [4, 5, 6], [4, 1, 6] },
        { [4, 5, 6], [1, 5, 1] },
        { [255, 1000], [1, 1000] },
        { [2, 3], [2, 3] },
    };

    [Theory]
    [MemberData(nameof(Reductions))]
    public void ReduceToShape_sums_broadcast_dimensions_and_accumulates(int[] shape, int[] dstShape)
    {
        int count = shape.Aggregate(1, (p, d) => p * d), dstCount = dstShape.Aggregate(1, (p, d) => p * d);
        var src = Uniform(9, count, -1, 1);
        var initial = Uniform(10, dstCount, -1, 1);
        var expected = initial.Select(v => (double)v).ToArray();
        // Each source element goes to the dst element with the same index on kept dims and 0 on reduced dims.
        var dstStrides = new int[shape.Length];
        for (int d = shape.Length - 1, stride = 1; d >= 0; stride *= dstShape[d], d--)
            dstStrides[d] = dstShape[d] == shape[d] ? stride : 0;
        int e = 0;
        foreach (int target in ViewOffsets(shape, 0, dstStrides)) expected[target] += src[e++];
        var dst = (float[])initial.Clone();
        StridedCopy.ReduceToShape(shape, src, dstShape, dst);
        AssertClose(expected, dst, 1e-5, 1e-5, $"reduce [{string.Join(",", shape)}] -> [{string.Join(",", dstShape)}]");
    }

    [Fact]
    public void ReduceToShape_rejects_incompatible_shapes()
    {
        var error = Assert.Throws<ArgumentException>(() => StridedCopy.ReduceToShape([3, 4], new float[12], [2, 4], new float[8]));
        Assert.Contains("dimension 0", error.Message);
        Assert.Throws<ArgumentException>(() => StridedCopy.ReduceToShape([3, 4], new float[12], [4], new float[4]));
    }
}

public class BinaryStridedTests
{
    public static TheoryData<int[], int[], int[]> Broadcasts() => new()
    {
        // shape, a strides, b strides (a and b are stored contiguously for their own broadcast shape)
        { [3, 17], [17, 1], [17, 1] },     // no broadcast
        { [3, 17], [17, 1], [0, 0] },      // scalar b
        { [3, 17], [0, 0], [17, 1] },      // scalar a
        { [3, 17], [17, 1], [0, 1] },      // row vector b
        { [3, 17], [17, 1], [1, 0] },      // column vector b
        { [3, 17], [1, 0], [0, 1] },       // both sides broadcast: outer product shape
        { [255, 1000], [1000, 1], [0, 1] },// big, bias-like, parallel
        { [4, 3, 5], [0, 5, 1], [3, 1, 0] },
        { [70001], [1], [0] },             // one long row, parallel
        { [17, 3], [1, 17], [3, 1] },      // transposed a: gathered rows
    };

    private static int SourceLength(int[] shape, int[] strides) =>
        1 + shape.Select((d, i) => (d - 1) * Math.Abs(strides[i])).Sum();

    [Theory]
    [MemberData(nameof(Broadcasts))]
    public void BinaryStrided_matches_naive_broadcast(int[] shape, int[] aStrides, int[] bStrides)
    {
        var a = Uniform(1, SourceLength(shape, aStrides), -2, 2);
        var b = Uniform(2, SourceLength(shape, bStrides), 0.5, 2);
        foreach (var op in Enum.GetValues<BinaryOp>())
        {
            var y = new float[shape.Aggregate(1, (p, d) => p * d)];
            Elementwise.BinaryStrided(op, shape, a, 0, aStrides, b, 0, bStrides, y);
            var expected = StridedCopyTests.ViewOffsets(shape, 0, aStrides)
                .Zip(StridedCopyTests.ViewOffsets(shape, 0, bStrides), (i, j) => ElementwiseTests.Apply(op, a[i], b[j])).ToArray();
            AssertClose(expected, y, 1e-7, 0, $"{op} [{string.Join(",", shape)}]");
        }
    }

    [Fact]
    public void BinaryStrided_handles_negative_strides_and_offsets()
    {
        int[] shape = [5, 9];
        var a = Uniform(3, 45, -2, 2);
        var b = Uniform(4, 9, -2, 2);
        var y = new float[45];
        // a flipped on both axes (offset at the last element), b a row vector read backwards.
        Elementwise.BinaryStrided(BinaryOp.Sub, shape, a, 44, [-9, -1], b, 8, [0, -1], y);
        var expected = StridedCopyTests.ViewOffsets(shape, 44, [-9, -1])
            .Zip(StridedCopyTests.ViewOffsets(shape, 8, [0, -1]), (i, j) => (double)a[i] - b[j]).ToArray();
        AssertClose(expected, y, 1e-7, 0, "flipped Sub");
    }

    [Fact]
    public void BinaryStrided_rejects_out_of_range_views()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Elementwise.BinaryStrided(BinaryOp.Add, [3, 4], new float[12], 0, [4, 1], new float[3], 0, [0, 1], new float[12]));
        Assert.Contains("b", error.ParamName);
        Assert.Throws<ArgumentException>(() =>
            Elementwise.BinaryStrided(BinaryOp.Add, [3, 4], new float[12], 0, [4], new float[4], 0, [0, 1], new float[12]));
    }
}
