using Xunit;

namespace BiGS.Native.Tests.Kernels;

/// <summary>Deterministic random signals and error measures shared by the FFT and SSM tests.</summary>
internal static class FftTestSupport
{
    /// <summary>count values uniform in [-1, 1) from a fixed seed.</summary>
    public static float[] RandomSignal(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)(2 * random.NextDouble() - 1);
        return values;
    }

    /// <summary>||actual - expected||_2 / ||expected||_2 (or the absolute norm when expected is zero).</summary>
    public static double RelativeL2Error(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double difference = 0, reference = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            difference += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            reference += expected[i] * expected[i];
        }
        return Math.Sqrt(difference) / (reference > 0 ? Math.Sqrt(reference) : 1);
    }

    /// <summary>max |actual - expected| / max |expected|: errors measured against the signal's scale.</summary>
    public static double MaxRelativeDifference(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        return worst / (scale > 0 ? scale : 1);
    }

    /// <summary>
    /// d function / d values[index] by the central difference (f(v + h) - f(v - h)) / 2h, h = 1e-6, in double;
    /// <paramref name="function"/> reads <paramref name="values"/>, which are restored afterwards.
    /// </summary>
    public static double CentralDifference(double[] values, int index, Func<double> function)
    {
        const double step = 1e-6;
        double saved = values[index];
        values[index] = saved + step;
        double plus = function();
        values[index] = saved - step;
        double minus = function();
        values[index] = saved;
        return (plus - minus) / (2 * step);
    }

    /// <summary>Widens floats to doubles.</summary>
    public static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
            result[i] = values[i];
        return result;
    }
}
