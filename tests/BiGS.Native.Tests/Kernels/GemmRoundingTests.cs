using BiGS.Native.Kernels.Cpu;
using Xunit;

namespace BiGS.Native.Tests.Kernels;

/// <summary>
/// Operand rounding of the tf32 and bf16 GEMMs: ties, signs, overflow and non-finite values at hand-picked bit
/// patterns, and random values against <see cref="ReferenceRounding"/> (rounding in double arithmetic).
/// </summary>
public class GemmRoundingTests
{
    [Theory]
    [InlineData(1f + 1f / 2048, 1f + 1f / 1024)]                        // halfway: ties away from zero
    [InlineData(-(1f + 1f / 2048), -(1f + 1f / 1024))]
    [InlineData(1f + 1f / 4096, 1f)]                                    // below half: down
    [InlineData(1f + 3f / 4096, 1f + 1f / 1024)]                        // above half: up
    [InlineData(1f + 1f / (1 << 20), 1f)]
    public void Tf32_rounds_to_nearest_with_ties_away(float value, float expected) =>
        Assert.Equal(expected, GemmRounding.ToTf32(value));

    [Theory]
    [InlineData(1f + 1f / 256, 1f)]                                     // halfway, 1 is even: down
    [InlineData(1f + 3f / 256, 1f + 1f / 64)]                           // halfway, 1 + 2^-6 is even: up
    [InlineData(-(1f + 3f / 256), -(1f + 1f / 64))]
    [InlineData(1f + 1f / 512, 1f)]
    [InlineData(1f + 3f / 512, 1f + 1f / 128)]
    public void Bf16_rounds_to_nearest_with_ties_to_even(float value, float expected) =>
        Assert.Equal(expected, GemmRounding.ToBf16(value));

    [Fact]
    public void Non_finite_values_stay_and_the_largest_float_overflows_in_bf16()
    {
        foreach (float special in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            Assert.Equal(special, GemmRounding.ToTf32(special));
            Assert.Equal(special, GemmRounding.ToBf16(special));
        }
        Assert.Equal(float.PositiveInfinity, GemmRounding.ToBf16(float.MaxValue));
        Assert.Equal(0f, GemmRounding.ToBf16(0f));
    }

    [Fact]
    public void Random_values_match_rounding_in_double()
    {
        var rng = new Random(7);
        for (int i = 0; i < 100_000; i++)
        {
            float value = (float)((rng.NextDouble() - 0.5) * Math.Pow(2, rng.Next(-60, 60)));
            Assert.Equal(ReferenceRounding.Round(value, 10, MidpointRounding.AwayFromZero), GemmRounding.ToTf32(value));
            Assert.Equal(ReferenceRounding.Round(value, 7, MidpointRounding.ToEven), GemmRounding.ToBf16(value));
        }
    }

    [Fact]
    public void Fp32_leaves_values_alone()
    {
        float value = 1f + 1f / (1 << 23);
        Assert.Equal(value, GemmRounding.Round(value, Precision.Fp32));
        Assert.Equal(1f, GemmRounding.Round(value, Precision.Tf32));
        Assert.Equal(1f, GemmRounding.Round(value, Precision.Bf16));
    }
}

/// <summary>Rounding of normal floats to fewer mantissa bits in double arithmetic (independent of the bit tricks).</summary>
public static class ReferenceRounding
{
    /// <summary><paramref name="value"/> rounded to <paramref name="mantissaBits"/> explicit bits with <paramref name="mode"/>.</summary>
    public static float Round(float value, int mantissaBits, MidpointRounding mode)
    {
        if (value == 0 || !float.IsFinite(value)) return value;
        double ulp = Math.Pow(2, Math.Floor(Math.Log2(Math.Abs((double)value))) - mantissaBits);
        return (float)(Math.Round(value / ulp, mode) * ulp);
    }

    /// <summary>The rounding a GEMM at <paramref name="precision"/> applies to its operands.</summary>
    public static float Operand(float value, Precision precision) => precision switch
    {
        Precision.Tf32 => Round(value, 10, MidpointRounding.AwayFromZero),
        Precision.Bf16 => Round(value, 7, MidpointRounding.ToEven),
        _ => value,
    };
}
