using System.Runtime.Intrinsics;
using BiGS.Native.Kernels.Cpu.Fft;
using Xunit;
using static BiGS.Native.Tests.Kernels.FftTestSupport;
using NumericsComplex = System.Numerics.Complex;

namespace BiGS.Native.Tests.Kernels;

public class FftLaneTests
{
    // Every stage arrangement: n = 1, 2, the fused last two stages alone (4), one extra radix-2 stage (8, 32, 512),
    // radix-2^2 passes only (16, 64, 1024).
    public static TheoryData<int> Lengths => new() { 1, 2, 4, 8, 16, 32, 64, 512, 1024 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ForwardGivesEachLanesDftInBitReversedOrder(int n)
    {
        var (re, im, signals) = RandomLanes(n, seed: n);
        var fft = LaneFft.ForLength(n);

        fft.Forward(re, im);

        for (int lane = 0; lane < LaneFft.Lanes; lane++)
        {
            var expected = Dft(signals[lane], sign: -1);
            var actual = new float[2 * n];
            var reference = new double[2 * n];
            for (int p = 0; p < n; p++)
            {
                (actual[2 * p], actual[2 * p + 1]) = (re[p][lane], im[p][lane]);
                var bin = expected[fft.BitReversedIndex(p)];
                (reference[2 * p], reference[2 * p + 1]) = (bin.Real, bin.Imaginary);
            }
            Assert.True(RelativeL2Error(actual, reference) <= 1e-5, $"n={n} lane {lane}: error {RelativeL2Error(actual, reference):E2}");
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void InverseOfForwardRestoresTheSignalsTimesN(int n)
    {
        var (re, im, signals) = RandomLanes(n, seed: 2 * n + 1);
        var fft = LaneFft.ForLength(n);

        fft.Forward(re, im);
        fft.InverseUnscaled(re, im);

        for (int lane = 0; lane < LaneFft.Lanes; lane++)
        {
            var actual = new float[2 * n];
            var reference = new double[2 * n];
            for (int j = 0; j < n; j++)
            {
                (actual[2 * j], actual[2 * j + 1]) = (re[j][lane] / n, im[j][lane] / n);
                (reference[2 * j], reference[2 * j + 1]) = (signals[lane][j].Real, signals[lane][j].Imaginary);
            }
            Assert.True(RelativeL2Error(actual, reference) <= 1e-6, $"n={n} lane {lane}: error {RelativeL2Error(actual, reference):E2}");
        }
    }

    [Fact]
    public void BitReversedIndexReversesTheBitsOfThePosition()
    {
        var fft = LaneFft.ForLength(16);
        Assert.Equal([0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15], Enumerable.Range(0, 16).Select(fft.BitReversedIndex));
    }

    [Fact]
    public void LengthsThatAreNotPowersOfTwoAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LaneFft.ForLength(12));
        Assert.Throws<ArgumentOutOfRangeException>(() => LaneFft.ForLength(0));
        var error = Assert.Throws<ArgumentException>(() => LaneFft.ForLength(8).Forward(new Vector256<float>[8], new Vector256<float>[4]));
        Assert.Contains("length 8", error.Message);
    }

    // Lanes filled with independent random complex signals, also returned per lane as doubles.
    private static (Vector256<float>[] Re, Vector256<float>[] Im, NumericsComplex[][] Signals) RandomLanes(int n, int seed)
    {
        var real = RandomSignal(n * LaneFft.Lanes, seed);
        var imaginary = RandomSignal(n * LaneFft.Lanes, seed + 7);
        var re = new Vector256<float>[n];
        var im = new Vector256<float>[n];
        var signals = new NumericsComplex[LaneFft.Lanes][];
        for (int lane = 0; lane < LaneFft.Lanes; lane++)
            signals[lane] = new NumericsComplex[n];
        for (int j = 0; j < n; j++)
        {
            re[j] = Vector256.Create(real.AsSpan(j * LaneFft.Lanes, LaneFft.Lanes));
            im[j] = Vector256.Create(imaginary.AsSpan(j * LaneFft.Lanes, LaneFft.Lanes));
            for (int lane = 0; lane < LaneFft.Lanes; lane++)
                signals[lane][j] = new NumericsComplex(re[j][lane], im[j][lane]);
        }
        return (re, im, signals);
    }

    // X[k] = sum_j x[j] exp(sign 2 pi i j k / n) in double, with j k reduced mod n for exact angles.
    private static NumericsComplex[] Dft(NumericsComplex[] x, int sign)
    {
        int n = x.Length;
        var roots = new NumericsComplex[n];
        for (int r = 0; r < n; r++)
            roots[r] = NumericsComplex.FromPolarCoordinates(1, sign * 2 * Math.PI * r / n);
        var result = new NumericsComplex[n];
        for (int k = 0; k < n; k++)
        {
            var sum = NumericsComplex.Zero;
            for (int j = 0; j < n; j++)
                sum += x[j] * roots[(int)((long)j * k % n)];
            result[k] = sum;
        }
        return result;
    }
}
