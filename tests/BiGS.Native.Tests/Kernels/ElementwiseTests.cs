using BiGS.Native.Kernels.Cpu;
using Xunit;
using static BiGS.Native.Tests.Kernels.KernelTestData;

namespace BiGS.Native.Tests.Kernels;

public class ElementwiseTests
{
    /// <summary>Elementwise float32 results must match the double reference to ~1e-6 relative (a few ulps).</summary>
    private const double Relative = 2e-6;

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>Reference f, f', and an input range where f is smooth and the test is meaningful.</summary>
    private static (Func<double, double> F, Func<double, double> Derivative, double Low, double High) Reference(UnaryOp op) => op switch
    {
        UnaryOp.Neg => (x => -x, _ => -1, -5, 5),
        UnaryOp.Abs => (Math.Abs, x => Math.Sign(x), -5, 5),
        UnaryOp.Exp => (Math.Exp, Math.Exp, -20, 20),
        UnaryOp.Log => (Math.Log, x => 1 / x, 0.01, 100),
        UnaryOp.Sqrt => (Math.Sqrt, x => 0.5 / Math.Sqrt(x), 0.01, 100),
        UnaryOp.Rsqrt => (x => 1 / Math.Sqrt(x), x => -0.5 * Math.Pow(x, -1.5), 0.01, 100),
        UnaryOp.Square => (x => x * x, x => 2 * x, -10, 10),
        UnaryOp.Reciprocal => (x => 1 / x, x => -1 / (x * x), 0.1, 10),
        UnaryOp.Tanh => (Math.Tanh, x => 1 - Math.Tanh(x) * Math.Tanh(x), -6, 6),
        UnaryOp.Sigmoid => (Sigmoid, x => Sigmoid(x) * (1 - Sigmoid(x)), -15, 15),
        UnaryOp.Relu => (x => Math.Max(x, 0), x => x > 0 ? 1 : 0, -5, 5),
        UnaryOp.GeluTanh => (GeluReference.Tanh, GeluReference.TanhDerivative, -8, 8),
        UnaryOp.GeluErf => (GeluReference.Erf, GeluReference.ErfDerivative, -8, 8),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    public static TheoryData<UnaryOp> AllUnaryOps() => new(Enum.GetValues<UnaryOp>());

    [Theory]
    [MemberData(nameof(AllUnaryOps))]
    public void Unary_matches_double_reference_at_every_length(UnaryOp op)
    {
        var (f, _, low, high) = Reference(op);
        foreach (int n in Lengths)
        {
            var x = Uniform(n, n, low, high);
            var y = new float[n];
            Elementwise.Unary(op, x, y);
            // absolute floor 1e-30: only lets results that underflow (e.g. gelu far in the negative tail) pass.
            AssertClose(Map(x, f), y, Relative, 1e-30 + (op is UnaryOp.GeluTanh or UnaryOp.GeluErf or UnaryOp.Tanh ? 1e-12 : 0), $"{op} n={n}");
        }
    }

    [Fact]
    public void Tanh_and_gelu_are_accurate_near_zero_and_at_branch_points()
    {
        // Dense sweep across the polynomial / exp switch points (|x| = 0.625 for tanh, |x| = sqrt2 for the normal CDF).
        var x = Enumerable.Range(-4000, 8001).Select(i => i * 0.001f).Concat([1e-7f, -3e-5f, 0.6249999f, 0.625f, 1.4142135f, 1.4142137f]).ToArray();
        foreach (var op in new[] { UnaryOp.Tanh, UnaryOp.GeluTanh, UnaryOp.GeluErf, UnaryOp.Sigmoid })
        {
            var y = new float[x.Length];
            Elementwise.Unary(op, x, y);
            AssertClose(Map(x, Reference(op).F), y, Relative, 1e-30, op.ToString());
        }
    }

    [Fact]
    public void Unary_works_in_place()
    {
        var x = Uniform(7, 1003, -3, 3);
        var expected = Map(x, GeluReference.Tanh);
        Elementwise.Unary(UnaryOp.GeluTanh, x, x);
        AssertClose(expected, x, Relative, 1e-30, "in-place GeluTanh");
    }

    [Theory]
    [MemberData(nameof(AllUnaryOps))]
    public void UnaryBackward_matches_analytic_derivative(UnaryOp op)
    {
        var (f, derivative, low, high) = Reference(op);
        foreach (int n in new[] { 1, 17, 4099, 70001 })
        {
            var x = Uniform(100 + n, n, low, high);
            var dy = Uniform(200 + n, n, -2, 2);
            var y = new float[n];
            var dx = new float[n];
            Elementwise.Unary(op, x, y);
            Elementwise.UnaryBackward(op, x, y, dy, dx);
            var expected = x.Select((v, i) => dy[i] * derivative(v)).ToArray();
            // The derivative uses the float forward output y: terms like 1 - y^2 or y (1 - y) near y = 1 carry y's
            // rounding (~1e-7 absolute), so allow 1e-5 relative plus 3e-7 absolute (dy is at most 2).
            AssertClose(expected, dx, 1e-5, 3e-7, $"{op}' n={n}");
        }
    }

    [Theory]
    [MemberData(nameof(AllUnaryOps))]
    public void UnaryBackward_matches_central_differences_of_the_forward_kernel(UnaryOp op)
    {
        var (_, _, low, high) = Reference(op);
        // Keep away from the kinks of abs and relu at 0 and stay in a moderate range for the difference quotient.
        var x = Uniform(31, 64, low > 0 ? Math.Max(low, 0.5) : Math.Max(low, -4), Math.Min(high, 4)).Select(v => Math.Abs(v) < 0.05f ? v + 0.1f : v).ToArray();
        var y = new float[x.Length];
        var dx = new float[x.Length];
        var ones = Enumerable.Repeat(1f, x.Length).ToArray();
        Elementwise.Unary(op, x, y);
        Elementwise.UnaryBackward(op, x, y, ones, dx);
        var plus = new float[x.Length];
        var minus = new float[x.Length];
        float h = 1e-2f;
        Elementwise.Unary(op, x.Select(v => v + h).ToArray(), plus);
        Elementwise.Unary(op, x.Select(v => v - h).ToArray(), minus);
        var numeric = plus.Select((p, i) => ((double)p - minus[i]) / (2.0 * h)).ToArray();
        AssertClose(numeric, dx, 2e-3, 2e-3, $"{op} central difference");
    }

    internal static double Apply(BinaryOp op, double a, double b) => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Sub => a - b,
        BinaryOp.Mul => a * b,
        BinaryOp.Div => a / b,
        BinaryOp.Max => Math.Max(a, b),
        BinaryOp.Min => Math.Min(a, b),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    public static TheoryData<BinaryOp> AllBinaryOps() => new(Enum.GetValues<BinaryOp>());

    [Theory]
    [MemberData(nameof(AllBinaryOps))]
    public void Binary_and_scalar_forms_match_reference(BinaryOp op)
    {
        foreach (int n in Lengths)
        {
            var a = Uniform(n, n, -5, 5);
            var b = Uniform(n + 1, n, 0.5, 5);
            var y = new float[n];
            Elementwise.Binary(op, a, b, y);
            AssertClose(a.Select((v, i) => Apply(op, v, b[i])).ToArray(), y, 1e-7, 0, $"{op} n={n}");
            Elementwise.BinaryScalar(op, a, 1.7f, y);
            AssertClose(a.Select(v => Apply(op, v, 1.7f)).ToArray(), y, 1e-7, 0, $"{op} scalar right n={n}");
            Elementwise.ScalarBinary(op, -1.3f, b, y);
            AssertClose(b.Select(v => Apply(op, -1.3f, v)).ToArray(), y, 1e-7, 0, $"{op} scalar left n={n}");
        }
    }

    [Fact]
    public void MultiplyAdd_AddScaled_Scale_Fill_Clamp_match_reference()
    {
        foreach (int n in Lengths)
        {
            var a = Uniform(n, n, -3, 3);
            var b = Uniform(n + 1, n, -3, 3);
            var c = Uniform(n + 2, n, -3, 3);
            var y = new float[n];
            Elementwise.MultiplyAdd(a, b, c, y);
            AssertClose(a.Select((v, i) => (double)v * b[i] + c[i]).ToArray(), y, 1e-6, 1e-6, "MultiplyAdd");

            var acc = (float[])c.Clone();
            Elementwise.AddScaled(a, 0.37f, acc);
            AssertClose(c.Select((v, i) => v + 0.37 * a[i]).ToArray(), acc, 1e-6, 1e-6, "AddScaled");

            Elementwise.Scale(a, -2.5f, y);
            AssertClose(a.Select(v => -2.5 * v).ToArray(), y, 1e-7, 0, "Scale");

            Elementwise.Fill(y, 4.25f);
            Assert.All(y, v => Assert.Equal(4.25f, v));

            Elementwise.Clamp(a, -1f, 0.5f, y);
            AssertClose(a.Select(v => Math.Clamp((double)v, -1, 0.5)).ToArray(), y, 0, 0, "Clamp");
        }
    }

    [Fact]
    public void Size_mismatches_throw_naming_the_sizes()
    {
        var error = Assert.Throws<ArgumentException>(() => Elementwise.Binary(BinaryOp.Add, new float[3], new float[4], new float[3]));
        Assert.Contains("4", error.Message);
        Assert.Contains("3", error.Message);
        Assert.Throws<ArgumentException>(() => Elementwise.Unary(UnaryOp.Exp, new float[5], new float[6]));
        Assert.Throws<ArgumentException>(() => Elementwise.UnaryBackward(UnaryOp.Exp, new float[5], new float[5], new float[4], new float[5]));
        Assert.Throws<ArgumentException>(() => Elementwise.Clamp(new float[2], 1f, 0f, new float[2]));
    }
}
