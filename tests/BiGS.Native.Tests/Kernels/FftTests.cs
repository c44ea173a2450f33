using BiGS.Native.Kernels.Cpu.Fft;
using MathNet.Numerics.IntegralTransforms;
using Xunit;
using static BiGS.Native.Tests.Kernels.FftTestSupport;
using NumericsComplex = System.Numerics.Complex;

namespace BiGS.Native.Tests.Kernels;

/// <summary>
/// The radix-2 complex FFT that gives the SSM convolution its shared kernel spectrum, against a DFT in double
/// and against MathNet. (The lane FFT has its own tests in <see cref="FftLaneTests"/>.)
/// </summary>
public class FftTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<int> Lengths => new() { 1, 2, 4, 8, 64, 256, 1024, 4096, 8192 };

    [Theory]
    [MemberData(nameof(Lengths))] // 8192 included: the accuracy target of the spec
    public void ForwardMatchesDoubleDft(int n)
    {
        var (re, im, input) = RandomComplexSignal(n);

        Radix2Fft.ForLength(n).Forward(re, im);

        var expected = Interleave(NaiveDft(input, sign: -1, bins: n), n);
        Assert.True(RelativeL2Error(Interleave(re, im), expected) <= Tolerance);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(2048)]
    public void ForwardMatchesMathNet(int n)
    {
        var (re, im, input) = RandomComplexSignal(n);
        Fourier.Forward(input, FourierOptions.Matlab); // unscaled forward with exp(-2 pi i jk/n), as ours

        Radix2Fft.ForLength(n).Forward(re, im);

        Assert.True(RelativeL2Error(Interleave(re, im), Interleave(input, n)) <= Tolerance);
    }

    [Fact]
    public void PlansAreCachedPerLength() => Assert.Same(Radix2Fft.ForLength(256), Radix2Fft.ForLength(256));

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    [InlineData(100)]
    public void LengthsThatAreNotPowersOfTwoAreRejected(int n)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Radix2Fft.ForLength(n));
        Assert.Contains("power of two", error.Message);
    }

    private static (float[] Re, float[] Im, NumericsComplex[] Input) RandomComplexSignal(int n)
    {
        var re = RandomSignal(n, seed: n + 1);
        var im = RandomSignal(n, seed: n + 2);
        return (re, im, re.Zip(im, (a, b) => new NumericsComplex(a, b)).ToArray());
    }

    private static float[] Interleave(float[] re, float[] im) =>
        re.Zip(im, (a, b) => new[] { a, b }).SelectMany(pair => pair).ToArray();

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
