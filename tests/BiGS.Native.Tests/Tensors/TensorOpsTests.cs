using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Tensors;

namespace BiGS.Native.Tests.Tensors;

public class TensorOpsTests
{
    public static TheoryData<int[], int[]> BroadcastShapes => new()
    {
        { [3, 4], [3, 4] },
        { [3, 4], [4] },
        { [3, 4], [3, 1] },
        { [1], [2, 17] },
        { [2, 1, 5], [3, 1] },
        { [255], [1] },
    };

    [Theory]
    [MemberData(nameof(BroadcastShapes))]
    public void Broadcast_binary_ops_match_a_double_reference(int[] shapeA, int[] shapeB)
    {
        var a = TestData.RandomTensor(1, shapeA);
        var b = TestData.PositiveTensor(2, shapeB);
        var shape = ShapeUtil.Broadcast("test", shapeA, shapeB);
        foreach (var (op, f) in new (BinaryOp, Func<double, double, double>)[]
                 { (BinaryOp.Add, (x, y) => x + y), (BinaryOp.Sub, (x, y) => x - y), (BinaryOp.Mul, (x, y) => x * y), (BinaryOp.Div, (x, y) => x / y) })
        {
            var y = Tensor.Binary(op, a, b);
            Assert.Equal(shape, y.ShapeArray());
            var expected = Reference(shape, a, b, f);
            TestData.AssertClose(expected, y.ToArray(), 1e-6, 1e-6, op.ToString());
        }
    }

    private static double[] Reference(int[] shape, Tensor a, Tensor b, Func<double, double, double> f)
    {
        var ea = a.Expand(shape).ToArray();
        var eb = b.Expand(shape).ToArray();
        return ea.Select((v, i) => f(v, eb[i])).ToArray();
    }

    [Fact]
    public void Incompatible_broadcast_names_both_shapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(3, 4) + Tensor.Zeros(5));
        Assert.Contains("(3,4)", e.Message);
        Assert.Contains("(5)", e.Message);
    }

    [Fact]
    public void Matmul_error_names_shapes_and_inner_dimensions()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.MatMul(Tensor.Zeros(3, 4), Tensor.Zeros(5, 6)));
        Assert.Equal("matmul: (3,4) x (5,6): inner dimensions 4 and 5 differ", e.Message);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Batched_matmul_with_broadcast_matches_reference(bool ta, bool tb)
    {
        int batch = 3, m = 5, k = 7, n = 4;
        var a = TestData.RandomTensor(3, ta ? [batch, k, m] : [batch, m, k]);
        var b = TestData.RandomTensor(4, tb ? [n, k] : [k, n]).Unsqueeze(0);
        var c = Tensor.MatMul(a, b, ta, tb);
        Assert.Equal(new[] { batch, m, n }, c.ShapeArray());
        for (int i = 0; i < batch; i++)
            for (int r = 0; r < m; r++)
                for (int col = 0; col < n; col++)
                {
                    double sum = 0;
                    for (int j = 0; j < k; j++)
                        sum += (double)(ta ? a[i, j, r] : a[i, r, j]) * (tb ? b[0, col, j] : b[0, j, col]);
                    Assert.True(Math.Abs(sum - c[i, r, col]) <= 1e-5, $"c[{i},{r},{col}] = {c[i, r, col]}, expected {sum}");
                }
    }

    [Fact]
    public void Reductions_along_axes_match_reference()
    {
        var x = TestData.RandomTensor(5, 3, 17, 4);
        var values = x.ToArray();
        var sum = x.Sum(1);
        var max = x.Max(2, keepDim: true);
        Assert.Equal(new[] { 3, 4 }, sum.ShapeArray());
        Assert.Equal(new[] { 3, 17, 1 }, max.ShapeArray());
        for (int a = 0; a < 3; a++)
            for (int c = 0; c < 4; c++)
            {
                double s = 0;
                for (int b = 0; b < 17; b++) s += values[a * 68 + b * 4 + c];
                Assert.True(Math.Abs(s - sum[a, c]) < 1e-5);
            }
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 17; b++)
                Assert.Equal(Enumerable.Range(0, 4).Max(c => values[a * 68 + b * 4 + c]), max[a, b, 0]);
        Assert.Equal(values.Select(v => (double)v).Average(), x.MeanAll().Item(), 5);
    }

    [Fact]
    public void SumToShape_reverses_broadcasting()
    {
        var g = Tensor.Ones(2, 3, 4);
        Assert.Equal(Enumerable.Repeat(6f, 4).ToArray(), g.SumToShape([4]).ToArray());
        Assert.Equal(Enumerable.Repeat(8f, 3).ToArray(), g.SumToShape([3, 1]).ToArray());
    }

    [Fact]
    public void SumToShape_over_leading_dims_sums_each_kept_element()
    {
        // x[i, j, k] = 12 i + 4 j + k: summed over i, 2 (4 j + k) + 12; over i and j, 6 k + 3 * 12 + 2 * (4 + 8).
        var x = Tensor.Arange(24).Reshape(2, 3, 4);
        Assert.Equal(Enumerable.Range(0, 12).Select(v => 2f * v + 12).ToArray(), x.SumToShape([3, 4]).ToArray());
        var overBatchAndRows = x.SumToShape([1, 4]);
        Assert.Equal([1, 4], overBatchAndRows.Shape);
        Assert.Equal(Enumerable.Range(0, 4).Select(k => 6f * k + 60).ToArray(), overBatchAndRows.ToArray());
        Assert.Equal(new float[3], Tensor.Zeros(0, 3).SumToShape([3]).ToArray());
    }

    [Fact]
    public void Rng_is_deterministic_and_roughly_standard_normal()
    {
        var a = Tensor.RandomNormal(new Rng(42), 0f, 1f, 10000).ToArray();
        var b = Tensor.RandomNormal(new Rng(42), 0f, 1f, 10000).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, Tensor.RandomNormal(new Rng(43), 0f, 1f, 10000).ToArray());
        double mean = a.Average(v => (double)v), variance = a.Average(v => (v - mean) * (v - mean));
        Assert.InRange(mean, -0.05, 0.05);
        Assert.InRange(variance, 0.95, 1.05);
        var t = Tensor.TruncatedNormal(new Rng(1), 0.02f, 1000).ToArray();
        Assert.All(t, v => Assert.InRange(v, -0.04f, 0.04f));
        var mask = Tensor.Bernoulli(new Rng(2), 0.3f, 10000).ToArray();
        Assert.InRange(mask.Average(), 0.27, 0.33);
        Assert.All(mask, v => Assert.True(v is 0f or 1f));
    }

    [Fact]
    public void Rng_state_round_trips()
    {
        var rng = new Rng(7);
        rng.NextUInt64();
        var state = rng.GetState();
        var expected = rng.NextUInt64();
        var restored = new Rng(0);
        restored.SetState(state);
        Assert.Equal(expected, restored.NextUInt64());
    }

    [Fact]
    public void Scope_disposes_intermediates_and_keeps_what_is_kept()
    {
        Tensor kept, dropped;
        using (new TensorScope())
        {
            dropped = Tensor.Ones(2048);
            kept = (dropped * 2f).Keep();
        }
        Assert.True(dropped.Storage.IsDisposed);
        Assert.False(kept.Storage.IsDisposed);
        Assert.Equal(2f, kept[5]);
        Assert.Throws<ObjectDisposedException>(() => dropped.ToArray());
    }
}
