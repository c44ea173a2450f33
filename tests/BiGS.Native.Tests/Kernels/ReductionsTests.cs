using BiGS.Native.Kernels.Cpu;
using Xunit;
using static BiGS.Native.Tests.Kernels.KernelTestData;

namespace BiGS.Native.Tests.Kernels;

public class ReductionsTests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 1, 1, 1 }, { 3, 17, 1 }, { 1, 255, 1000 }, { 3, 17, 5 }, { 2, 4099, 3 }, { 255, 1000, 1 }, { 4, 1, 9 }, { 2, 5, 31 }, { 3, 4, 40 }, { 1, 70001, 1 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Sum_Mean_Max_over_an_axis_match_reference(int outer, int axis, int inner)
    {
        var x = Uniform(outer * 7 + axis, outer * axis * inner, -3, 3);
        var sum = new double[outer * inner];
        var absSum = new double[outer * inner];
        var max = new double[outer * inner];
        var arg = new int[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                max[o * inner + i] = double.NegativeInfinity;
                for (int a = 0; a < axis; a++)
                {
                    double v = x[(o * axis + a) * inner + i];
                    sum[o * inner + i] += v;
                    absSum[o * inner + i] += Math.Abs(v);
                    if (v > max[o * inner + i]) { max[o * inner + i] = v; arg[o * inner + i] = a; }
                }
            }
        var y = new float[outer * inner];
        var argMax = new int[outer * inner];
        // Reductions: 1e-5 relative to the sum of magnitudes (the scale of float rounding in the inputs' sum).
        Reductions.Sum(x, outer, axis, inner, y);
        for (int k = 0; k < y.Length; k++) AssertClose(sum[k], y[k], 0, 1e-5 * absSum[k] + 1e-6, $"sum {k}");
        Reductions.Mean(x, outer, axis, inner, y);
        for (int k = 0; k < y.Length; k++) AssertClose(sum[k] / axis, y[k], 0, 1e-5 * absSum[k] / axis + 1e-7, $"mean {k}");
        Reductions.Max(x, outer, axis, inner, y, argMax);
        AssertClose(max, y, 0, 0, "max");
        Assert.Equal(arg, argMax);
        Reductions.Max(x, outer, axis, inner, y, Span<int>.Empty);
        AssertClose(max, y, 0, 0, "max without argMax");
    }

    [Fact]
    public void Max_prefers_the_first_index_on_ties()
    {
        float[] x = [1, 5, 5, 2, 5, 0];
        var y = new float[1];
        var arg = new int[1];
        Reductions.Max(x, 1, 6, 1, y, arg);
        Assert.Equal(1, arg[0]);
    }

    [Fact]
    public void Whole_span_sums_are_accurate_in_double()
    {
        foreach (int n in Lengths.Append(300_000))
        {
            var a = Uniform(n, n, -1, 1);
            var b = Uniform(n + 1, n, -1, 1);
            double sum = 0, dot = 0, squares = 0;
            for (int i = 0; i < n; i++) { sum += a[i]; dot += (double)a[i] * b[i]; squares += (double)a[i] * a[i]; }
            AssertClose(sum, Reductions.SumAll(a), 1e-12, 1e-12, $"SumAll n={n}");
            AssertClose(dot, Reductions.Dot(a, b), 1e-12, 1e-12, $"Dot n={n}");
            AssertClose(squares, Reductions.SumOfSquares(a), 1e-12, 1e-12, $"SumOfSquares n={n}");
        }
    }

    [Fact]
    public void Large_offset_sum_keeps_precision()
    {
        // a million copies of 1e-3 on top of one 1e4: float accumulation would lose the small terms entirely.
        var x = Enumerable.Repeat(1e-3f, 1_000_001).ToArray();
        x[0] = 1e4f;
        AssertClose(1e4 + 1e6 * (double)1e-3f, Reductions.SumAll(x), 1e-12, 0, "SumAll");
    }

    [Fact]
    public void Size_mismatches_throw()
    {
        var error = Assert.Throws<ArgumentException>(() => Reductions.Sum(new float[10], 2, 3, 2, new float[4]));
        Assert.Contains("12", error.Message);
        Assert.Throws<ArgumentException>(() => Reductions.Sum(new float[12], 2, 3, 2, new float[5]));
        Assert.Throws<ArgumentException>(() => Reductions.Dot(new float[3], new float[4]));
        Assert.Throws<ArgumentException>(() => Reductions.Max(new float[12], 2, 3, 2, new float[4], new int[3]));
    }
}
