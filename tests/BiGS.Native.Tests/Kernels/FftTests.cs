using BiGS.Native.Kernels.Cpu.Fft;
using MathNet.Numerics.IntegralTransforms;
using Xunit;
using static BiGS.Native.Tests.Kernels.FftTestSupport;
using NumericsComplex = System.Numerics.Complex;

namespace BiGS.Native.Tests.Kernels;

public class FftTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<int> Lengths => new() { 1, 2, 3, 5, 8, 17, 64, 100, 255, 256, 1000, 1024, 4096, 8192 };

    [Theory]
    [MemberData(nameof(Lengths))] // 8192 included: the accuracy target of the spec
    public void RealForwardMatchesDoubleDft(int n)
    {
        var x = RandomSignal(n, seed: n);
        var plan = RealFft.ForLength(n);
        var spectrum = new float[plan.SpectrumLength];

        plan.Forward(x, spectrum);

        var expected = Interleave(NaiveDft(x.Select(v => new NumericsComplex(v, 0)).ToArray(), sign: -1, bins: n / 2 + 1), n / 2 + 1);
        Assert.True(RelativeL2Error(spectrum, expected) <= Tolerance, $"n={n}: error {RelativeL2Error(spectrum, expected):E2}");
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void RealInverseMatchesDoubleInverseDft(int n)
    {
        // A half spectrum of a real signal: bins 0 (and n/2 for even n) are real.
        var random = new Random(1000 + n);
        var half = new NumericsComplex[n / 2 + 1];
        for (int k = 0; k < half.Length; k++)
            half[k] = new NumericsComplex(2 * random.NextDouble() - 1, 2 * random.NextDouble() - 1);
        half[0] = half[0].Real;
        if (n % 2 == 0) half[n / 2] = half[n / 2].Real;
        var full = new NumericsComplex[n];
        for (int k = 0; k < n; k++)
            full[k] = k < half.Length ? half[k] : NumericsComplex.Conjugate(half[n - k]);
        var expected = NaiveDft(full, sign: +1, bins: n).Select(v => v.Real / n).ToArray();

        var plan = RealFft.ForLength(n);
        var x = new float[n];
        plan.Inverse(Interleave(half, half.Length).Select(v => (float)v).ToArray(), x);

        Assert.True(RelativeL2Error(x, expected) <= Tolerance, $"n={n}: error {RelativeL2Error(x, expected):E2}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(512)]
    [InlineData(6000)]
    public void RealRoundTripRestoresSignal(int n)
    {
        var x = RandomSignal(n, seed: 7 * n);
        var plan = RealFft.ForLength(n);
        var spectrum = new float[plan.SpectrumLength];
        var back = new float[n];

        plan.Forward(x, spectrum);
        plan.Inverse(spectrum, back);

        Assert.True(RelativeL2Error(back, ToDouble(x)) <= 1e-6);
    }

    [Theory]
    [InlineData(12)]
    [InlineData(1024)]
    [InlineData(6000)]
    public void RealForwardMatchesMathNet(int n)
    {
        var x = RandomSignal(n, seed: 3 * n);
        var samples = x.Select(v => new NumericsComplex(v, 0)).ToArray();
        // Matlab options: exp(-2 pi i jk/n), no scaling on the forward transform (like ours).
        Fourier.Forward(samples, FourierOptions.Matlab);
        var plan = RealFft.ForLength(n);
        var spectrum = new float[plan.SpectrumLength];

        plan.Forward(x, spectrum);

        Assert.True(RelativeL2Error(spectrum, Interleave(samples, n / 2 + 1)) <= Tolerance);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(64)]
    [InlineData(100)]
    [InlineData(4096)]
    public void ComplexForwardMatchesDoubleDftAndInverts(int n)
    {
        var re = RandomSignal(n, seed: n + 1);
        var im = RandomSignal(n, seed: n + 2);
        var input = re.Zip(im, (a, b) => new NumericsComplex(a, b)).ToArray();
        var plan = ComplexFft.ForLength(n);
        var outRe = (float[])re.Clone();
        var outIm = (float[])im.Clone();

        plan.Forward(outRe, outIm);
        var expected = NaiveDft(input, sign: -1, bins: n);
        var actual = outRe.Zip(outIm, (a, b) => new[] { a, b }).SelectMany(p => p).ToArray();
        Assert.True(RelativeL2Error(actual, Interleave(expected, n)) <= Tolerance);

        plan.Inverse(outRe, outIm);
        Assert.True(RelativeL2Error(outRe, ToDouble(re)) <= 1e-6);
        Assert.True(RelativeL2Error(outIm, ToDouble(im)) <= 1e-6);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void ComplexMultiplyMatchesComplexProducts(bool conjugate, bool accumulate)
    {
        const int count = 13; // not a multiple of any vector width, so the scalar tail runs too
        var a = RandomSignal(2 * count, seed: 1);
        var b = RandomSignal(2 * count, seed: 2);
        var start = RandomSignal(2 * count, seed: 3);
        var y = (float[])start.Clone();

        if (!conjugate) Spectrum.ComplexMultiply(a, b, y);
        else if (!accumulate) Spectrum.ComplexMultiplyConjugate(a, b, y);
        else Spectrum.ComplexMultiplyConjugateAdd(a, b, y);

        var expected = new double[2 * count];
        for (int k = 0; k < count; k++)
        {
            var bk = new NumericsComplex(b[2 * k], b[2 * k + 1]);
            var product = new NumericsComplex(a[2 * k], a[2 * k + 1]) * (conjugate ? NumericsComplex.Conjugate(bk) : bk);
            if (accumulate) product += new NumericsComplex(start[2 * k], start[2 * k + 1]);
            expected[2 * k] = product.Real;
            expected[2 * k + 1] = product.Imaginary;
        }
        Assert.True(MaxRelativeDifference(y, expected) <= 1e-6);
    }

    [Fact]
    public void ComplexMultiplyMayWriteOverItsInput()
    {
        var a = RandomSignal(32, seed: 4);
        var b = RandomSignal(32, seed: 5);
        var separate = new float[32];
        Spectrum.ComplexMultiply(a, b, separate);

        Spectrum.ComplexMultiply(a, b, a);

        Assert.Equal(separate, a);
    }

    [Fact]
    public void PlansAreCachedPerLength()
    {
        Assert.Same(RealFft.ForLength(300), RealFft.ForLength(300));
        Assert.Same(ComplexFft.ForLength(300), ComplexFft.ForLength(300));
    }

    [Fact]
    public void WrongSpanLengthsAreRejectedWithTheExpectedSizes()
    {
        var plan = RealFft.ForLength(16);
        var error = Assert.Throws<ArgumentException>(() => plan.Forward(new float[16], new float[16]));
        Assert.Contains("18 spectrum floats", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => RealFft.ForLength(0));
        Assert.Throws<ArgumentException>(() => ComplexFft.ForLength(8).Forward(new float[8], new float[7]));
        Assert.Throws<ArgumentException>(() => Spectrum.ComplexMultiply(new float[4], new float[6], new float[4]));
    }

    // X[k] = sum_j x[j] exp(sign 2 pi i j k / n) for k < bins, in double, with jk reduced mod n for exact angles.
    private static NumericsComplex[] NaiveDft(NumericsComplex[] x, int sign, int bins)
    {
        int n = x.Length;
        var roots = new NumericsComplex[n];
        for (int r = 0; r < n; r++)
            roots[r] = NumericsComplex.FromPolarCoordinates(1, sign * 2 * Math.PI * r / n);
        var result = new NumericsComplex[bins];
        for (int k = 0; k < bins; k++)
        {
            var sum = NumericsComplex.Zero;
            for (int j = 0; j < n; j++)
                sum += x[j] * roots[(int)((long)j * k % n)];
            result[k] = sum;
        }
        return result;
    }

    private static double[] Interleave(NumericsComplex[] values, int count)
    {
        var result = new double[2 * count];
        for (int k = 0; k < count; k++)
        {
            result[2 * k] = values[k].Real;
            result[2 * k + 1] = values[k].Imaginary;
        }
        return result;
    }
}
