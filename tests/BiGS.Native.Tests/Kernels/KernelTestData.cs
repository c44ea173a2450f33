using Xunit;

namespace BiGS.Native.Tests.Kernels;

/// <summary>Seeded random inputs and tolerance checks shared by the CPU kernel tests.</summary>
internal static class KernelTestData
{
    /// <summary>
    /// Awkward lengths for both lane widths (8 with AVX2, 16 with AVX-512): shorter than a vector, exactly one or two
    /// vectors, tails of 1, 3, 7, 8 and 15 lanes after whole vectors, and one big enough to run on several threads.
    /// </summary>
    public static readonly int[] Lengths = [1, 3, 8, 15, 16, 17, 31, 40, 255, 1000, 4099, 70001];

    public static float[] Uniform(int seed, int length, double low, double high)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(low + (high - low) * random.NextDouble());
        return values;
    }

    public static int[] Integers(int seed, int length, int low, int highExclusive)
    {
        var random = new Random(seed);
        var values = new int[length];
        for (int i = 0; i < length; i++) values[i] = random.Next(low, highExclusive);
        return values;
    }

    /// <summary>Asserts |actual - expected| &lt;= relative |expected| + absolute at every index, naming the first failure.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double relative, double absolute, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            if (!(error <= relative * Math.Abs(expected[i]) + absolute))
                Assert.Fail($"{what}: index {i} expected {expected[i]:R} got {actual[i]:R} (error {error:E2})");
        }
    }

    public static void AssertClose(double expected, double actual, double relative, double absolute, string what)
    {
        double error = Math.Abs(actual - expected);
        if (!(error <= relative * Math.Abs(expected) + absolute))
            Assert.Fail($"{what}: expected {expected:R} got {actual:R} (error {error:E2})");
    }

    public static double[] Map(float[] x, Func<double, double> f) => x.Select(v => f(v)).ToArray();
}

/// <summary>Plain double-precision definitions of the GELU variants, written independently of the kernels.</summary>
internal static class GeluReference
{
    private static readonly double K = Math.Sqrt(2 / Math.PI);

    public static double Tanh(double x) => 0.5 * x * (1 + Math.Tanh(K * (x + 0.044715 * x * x * x)));

    public static double TanhDerivative(double x)
    {
        double t = Math.Tanh(K * (x + 0.044715 * x * x * x));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * K * (1 + 3 * 0.044715 * x * x);
    }

    /// <summary>x Phi(x) with Phi = erfc(-x/sqrt2)/2 (MathNet), which stays accurate in the negative tail.</summary>
    public static double Erf(double x) => x * NormalCdf(x);

    public static double ErfDerivative(double x) => NormalCdf(x) + x * Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI);

    private static double NormalCdf(double x) => 0.5 * MathNet.Numerics.SpecialFunctions.Erfc(-x / Math.Sqrt(2));

    public static double Of(BiGS.Native.Kernels.Cpu.GeluKind kind, double x) =>
        kind == BiGS.Native.Kernels.Cpu.GeluKind.Tanh ? Tanh(x) : Erf(x);

    public static double DerivativeOf(BiGS.Native.Kernels.Cpu.GeluKind kind, double x) =>
        kind == BiGS.Native.Kernels.Cpu.GeluKind.Tanh ? TanhDerivative(x) : ErfDerivative(x);
}
