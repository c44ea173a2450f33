using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Kernels.Cpu.Fft;
using Xunit;
using static BiGS.Native.Tests.Kernels.FftTestSupport;
using NumericsComplex = System.Numerics.Complex;

namespace BiGS.Native.Tests.Kernels;

/// <summary>
/// The lane FFT against a double-precision DFT of each lane, for both lane vectors: 8 lanes (256-bit, the AVX2 path)
/// and 16 (512-bit, the AVX-512 path; on a CPU without it .NET runs the same code on smaller registers).
/// </summary>
public class FftLaneTests
{
    // Every stage arrangement: n = 1, 2, the fused last two stages alone (4), one extra radix-2 stage (8, 32, 512),
    // radix-2^2 passes only (16, 64, 1024); each with 8 and 16 lanes.
    public static TheoryData<int, int> LengthsAndLanes()
    {
        var data = new TheoryData<int, int>();
        foreach (int n in new[] { 1, 2, 4, 8, 16, 32, 64, 512, 1024 })
            foreach (int lanes in new[] { 8, 16 })
                data.Add(n, lanes);
        return data;
    }

    [Theory]
    [MemberData(nameof(LengthsAndLanes))]
    public void ForwardGivesEachLanesDftInBitReversedOrder(int n, int lanes)
    {
        if (lanes == 8) ForwardMatchesDft<Lanes8>(n);
        else ForwardMatchesDft<Lanes16>(n);
    }

    [Theory]
    [MemberData(nameof(LengthsAndLanes))]
    public void InverseOfForwardRestoresTheSignalsTimesN(int n, int lanes)
    {
        if (lanes == 8) InverseRestoresSignals<Lanes8>(n);
        else InverseRestoresSignals<Lanes16>(n);
    }

    [Fact]
    public void BitReversedIndexReversesTheBitsOfThePosition()
    {
        var fft = LaneFft<Lanes16>.ForLength(16);
        Assert.Equal([0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15], Enumerable.Range(0, 16).Select(fft.BitReversedIndex));
    }

    [Fact]
    public void LengthsThatAreNotPowersOfTwoAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LaneFft<Lanes8>.ForLength(12));
        Assert.Throws<ArgumentOutOfRangeException>(() => LaneFft<Lanes16>.ForLength(0));
        var error = Assert.Throws<ArgumentException>(() => LaneFft<Lanes8>.ForLength(8).Forward(new Lanes8[8], new Lanes8[4]));
        Assert.Contains("length 8", error.Message);
    }

    private static void ForwardMatchesDft<TLanes>(int n) where TLanes : struct, ILaneVector<TLanes>
    {
        var (re, im, signals) = RandomLanes<TLanes>(n, seed: n);
        var fft = LaneFft<TLanes>.ForLength(n);

        fft.Forward(re, im);

        for (int lane = 0; lane < TLanes.Count; lane++)
        {
            var expected = Dft(signals[lane], sign: -1);
            var actual = new float[2 * n];
            var reference = new double[2 * n];
            for (int p = 0; p < n; p++)
            {
                (actual[2 * p], actual[2 * p + 1]) = (Lane(re[p], lane), Lane(im[p], lane));
                var bin = expected[fft.BitReversedIndex(p)];
                (reference[2 * p], reference[2 * p + 1]) = (bin.Real, bin.Imaginary);
            }
            Assert.True(RelativeL2Error(actual, reference) <= 1e-5,
                $"n={n} lane {lane} of {TLanes.Count}: error {RelativeL2Error(actual, reference):E2}");
        }
    }

    private static void InverseRestoresSignals<TLanes>(int n) where TLanes : struct, ILaneVector<TLanes>
    {
        var (re, im, signals) = RandomLanes<TLanes>(n, seed: 2 * n + 1);
        var fft = LaneFft<TLanes>.ForLength(n);

        fft.Forward(re, im);
        fft.InverseUnscaled(re, im);

        for (int lane = 0; lane < TLanes.Count; lane++)
        {
            var actual = new float[2 * n];
            var reference = new double[2 * n];
            for (int j = 0; j < n; j++)
            {
                (actual[2 * j], actual[2 * j + 1]) = (Lane(re[j], lane) / n, Lane(im[j], lane) / n);
                (reference[2 * j], reference[2 * j + 1]) = (signals[lane][j].Real, signals[lane][j].Imaginary);
            }
            Assert.True(RelativeL2Error(actual, reference) <= 1e-6,
                $"n={n} lane {lane} of {TLanes.Count}: error {RelativeL2Error(actual, reference):E2}");
        }
    }

    private static float Lane<TLanes>(TLanes vector, int lane) where TLanes : struct, ILaneVector<TLanes>
    {
        var values = new float[TLanes.Count];
        vector.Store(values);
        return values[lane];
    }

    // Lanes filled with independent random complex signals, also returned per lane as doubles.
    private static (TLanes[] Re, TLanes[] Im, NumericsComplex[][] Signals) RandomLanes<TLanes>(int n, int seed)
        where TLanes : struct, ILaneVector<TLanes>
    {
        int lanes = TLanes.Count;
        var real = RandomSignal(n * lanes, seed);
        var imaginary = RandomSignal(n * lanes, seed + 7);
        var re = new TLanes[n];
        var im = new TLanes[n];
        var signals = new NumericsComplex[lanes][];
        for (int lane = 0; lane < lanes; lane++)
            signals[lane] = new NumericsComplex[n];
        for (int j = 0; j < n; j++)
        {
            re[j] = TLanes.Load(real.AsSpan(j * lanes, lanes));
            im[j] = TLanes.Load(imaginary.AsSpan(j * lanes, lanes));
            for (int lane = 0; lane < lanes; lane++)
                signals[lane][j] = new NumericsComplex(real[j * lanes + lane], imaginary[j * lanes + lane]);
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
