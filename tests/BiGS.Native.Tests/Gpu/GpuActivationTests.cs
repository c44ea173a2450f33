using BiGS.Native.Gpu.Kernels;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// The activations the GPU kernels compute (<see cref="Gelu"/>), evaluated on the host against double-precision
/// formulas: the tanh GELU as x sigmoid(2u) and tanh from the exponential stay within a few float ulps of them (times
/// the conditioning of e^(2u) in the GELU's tail), far from the up to 2^-11 relative error of the GPU's own tanh
/// instruction that they replace.
/// </summary>
public class GpuActivationTests
{
    private const double SqrtTwoOverPi = 0.79788456080286535588;

    /// <summary>
    /// Within a few ulps of the double formula, times 1 + 2|u|: float rounds u itself, and where gelu is far below x
    /// (x &lt; 0) it is x e^(2u) to first order, whose relative error is then 2|u| times that of u; the derivative's error
    /// is measured against the size of its two terms, which cancel at its root. The tanh form in
    /// float does far worse there: 1 + tanh(u) cancels (at u = -5, about 6e-4 of relative error).
    /// </summary>
    [Fact]
    public void Tanh_gelu_and_its_derivative_match_the_double_formula()
    {
        double worstValue = 0, worstSlope = 0;
        foreach (float x in Arguments())
        {
            double u = SqrtTwoOverPi * (x + 0.044715 * x * x * x), t = Math.Tanh(u);
            double value = 0.5 * x * (1 + t);
            var (first, second) = (0.5 * (1 + t), 0.5 * x * (1 - t * t) * SqrtTwoOverPi * (1 + 3 * 0.044715 * x * x));
            double allowed = 5e-7 * (1 + 2 * Math.Abs(u));
            worstValue = Math.Max(worstValue, RelativeError(Gelu.Tanh(x), value) / allowed);
            // gelu' = first + second has a root (near x = -0.75): its error is relative to the size of the two terms
            double size = Math.Max(Math.Abs(first) + Math.Abs(second), 1e-9);
            worstSlope = Math.Max(worstSlope, Math.Abs(Gelu.TanhDerivative(x) - (first + second)) / size / allowed);
        }
        Assert.True(worstValue <= 1, $"gelu error up to {worstValue:F2} times the allowed");
        Assert.True(worstSlope <= 1, $"gelu' error up to {worstSlope:F2} times the allowed");
    }

    [Fact]
    public void Tanh_matches_Math_Tanh_near_zero_and_far_from_it()
    {
        double worst = Arguments().Max(x => RelativeError(Gelu.HyperbolicTangent(x), Math.Tanh(x)));
        Assert.True(worst <= 1e-6, $"tanh relative error up to {worst:E2}");
        Assert.Equal(1f, Gelu.HyperbolicTangent(100f));
        Assert.Equal(-1f, Gelu.HyperbolicTangent(-100f));
    }

    [Fact]
    public void Tanh_gelu_has_its_limits_at_the_ends()
    {
        Assert.Equal(30f, Gelu.Tanh(30f));
        Assert.Equal(0f, Gelu.Tanh(-30f), 1e-30f);
        Assert.Equal(1f, Gelu.TanhDerivative(30f));
        Assert.Equal(0f, Gelu.TanhDerivative(-30f), 1e-30f);
    }

    /// <summary>
    /// |actual - expected| relative to |expected|, and relative to 1e-9 below that: where u &lt; -19, the double
    /// reference's 1 + tanh(u) is 0 (tanh rounds to -1) while the true value, near e^(2u), is still a float.
    /// </summary>
    private static double RelativeError(float actual, double expected) =>
        Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-9);

    /// <summary>Values from -12 to 12 on a fine grid, and tiny ones of both signs.</summary>
    private static IEnumerable<float> Arguments() =>
        Enumerable.Range(-120_000, 240_001).Select(i => i * 1e-4f)
            .Concat(Enumerable.Range(1, 30).SelectMany(e => new[] { MathF.Pow(10f, -e), -MathF.Pow(10f, -e) }));
}
