using BiGS.Native.Kernels.Ssm;
using Xunit;

namespace BiGS.Native.Tests.Kernels;

/// <summary>
/// The exponential, cosine and sine that S4D kernel generation evaluates on the CPU and on a GPU alike
/// (<see cref="S4DMath"/>), against .NET's: e^x against Math.Exp, the quarter-turn cosine and sine against
/// double.CosPi / SinPi (which reduce large arguments exactly, as a product with pi/2 in double would not).
/// </summary>
public class S4DMathTests
{
    [Fact]
    public void Exp_matches_Math_Exp_over_the_normal_range()
    {
        // about an ulp everywhere (2.2e-16 measured): the reduction r = x - k ln 2 loses nothing, even at |x| ~ 700
        double worst = Arguments(-708, 709, count: 400_001).Max(x => Math.Abs(S4DMath.Exp(x) / Math.Exp(x) - 1));
        Assert.True(worst <= 3e-16, $"relative error up to {worst:E2}");
    }

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(710.0, double.PositiveInfinity)]
    [InlineData(double.PositiveInfinity, double.PositiveInfinity)]
    [InlineData(-746.0, 0.0)]
    [InlineData(double.NegativeInfinity, 0.0)]
    [InlineData(double.NaN, double.NaN)]
    public void Exp_at_the_ends_of_its_range(double x, double expected) => Assert.Equal(expected, S4DMath.Exp(x));

    [Fact]
    public void Exp_flushes_gradually_below_the_smallest_normal()
    {
        foreach (double x in Arguments(-745, -708, count: 1001))
            Assert.True(Math.Abs(S4DMath.Exp(x) - Math.Exp(x)) <= 2 * double.Epsilon + 1e-15 * Math.Exp(x), $"x = {x}");
    }

    [Fact]
    public void Quarter_turn_cosine_and_sine_match_CosPi_and_SinPi()
    {
        // S4D phases l dt A_im / (pi/2) reach ~1e5 quarter turns for long kernels; about an ulp (1.1e-16 measured)
        double worst = 0;
        foreach (double quarterTurns in Arguments(-2e5, 2e5, count: 400_001).Concat(Arguments(-4, 4, count: 80_001)))
        {
            S4DMath.TurnCosSin(quarterTurns, out double cos, out double sin);
            double halfTurns = quarterTurns / 2;
            worst = Math.Max(worst, Math.Max(Math.Abs(cos - double.CosPi(halfTurns)), Math.Abs(sin - double.SinPi(halfTurns))));
        }
        Assert.True(worst <= 2.5e-16, $"absolute error up to {worst:E2}");
    }

    [Theory]
    [InlineData(0.0, 1.0, 0.0)]
    [InlineData(1.0, 0.0, 1.0)]
    [InlineData(2.0, -1.0, 0.0)]
    [InlineData(3.0, 0.0, -1.0)]
    [InlineData(-1.0, 0.0, -1.0)]
    [InlineData(-6.0, -1.0, 0.0)]
    public void Quarter_turns_land_on_the_axes_exactly(double quarterTurns, double expectedCos, double expectedSin)
    {
        S4DMath.TurnCosSin(quarterTurns, out double cos, out double sin);
        Assert.Equal(expectedCos, cos);
        Assert.Equal(expectedSin, sin);
    }

    /// <summary>count evenly spaced values from first to last, offset by an irrational fraction of the spacing.</summary>
    private static IEnumerable<double> Arguments(double first, double last, int count)
    {
        double spacing = (last - first) / (count - 1);
        for (int i = 0; i < count; i++) yield return Math.Min(last, first + (i + 0.6180339887) * spacing);
    }
}
