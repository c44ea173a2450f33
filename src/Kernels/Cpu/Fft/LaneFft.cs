using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.Intrinsics;

namespace BiGS.Native.Kernels.Cpu.Fft;

/// <summary>
/// Complex FFTs of <see cref="Lanes"/> independent signals at once, for a power-of-two length n. Sample j of all
/// the signals is one pair of vectors (re[j], im[j]) whose lane c belongs to signal c, so every butterfly is one
/// SIMD operation over all the signals and each twiddle is a scalar broadcast to every lane:
/// <code>
///   Forward:          X_c[k] = sum_j x_c[j] exp(-2 pi i j k / n)
///   InverseUnscaled:  x_c[j] = sum_k X_c[k] exp(+2 pi i j k / n)      (no 1/n)
/// </code>
/// Forward is radix-2 decimation in frequency: samples in natural order in, spectrum in bit-reversed order out
/// (position p holds bin <see cref="BitReversedIndex"/>(p)). The inverse is decimation in time, which takes that
/// order back to samples in natural order. A convolution only multiplies spectra bin by bin, so it never needs the
/// natural order and no bit-reversal pass is ever run.
/// Plans are immutable and safe to share between threads; get them from <see cref="ForLength"/>.
/// </summary>
internal sealed class LaneFft
{
    private static readonly ConcurrentDictionary<int, LaneFft> Plans = new();

    // The stage that combines halves of size h reads w_j = exp(-i pi j / h) at index h + j.
    private readonly float[] twiddleRe;
    private readonly float[] twiddleIm;
    private readonly int[] reversed;

    private LaneFft(int length)
    {
        Length = length;
        (twiddleRe, twiddleIm) = Radix2Fft.StageTwiddles(length);
        reversed = Radix2Fft.BitReversal(length);
    }

    /// <summary>Signals transformed together: the lanes of a <see cref="Vector256{T}"/> of floats.</summary>
    public static int Lanes => Vector256<float>.Count;

    /// <summary>Transform length n (a power of two).</summary>
    public int Length { get; }

    /// <summary>The cached plan for a power-of-two <paramref name="length"/> (created on first use, thread-safe).</summary>
    public static LaneFft ForLength(int length)
    {
        if (length < 1 || !BitOperations.IsPow2(length))
            throw new ArgumentOutOfRangeException(nameof(length), length, "lane FFT length must be a power of two");
        return Plans.GetOrAdd(length, static n => new LaneFft(n));
    }

    /// <summary>The frequency bin that position <paramref name="position"/> of a bit-reversed spectrum holds.</summary>
    public int BitReversedIndex(int position) => reversed[position];

    /// <summary>Forward transform in place: samples in natural order, spectrum out in bit-reversed order.</summary>
    public void Forward(Span<Vector256<float>> re, Span<Vector256<float>> im)
    {
        CheckLengths(re, im);
        int smallestGeneralHalf = Length >= 4 ? 4 : 1;
        for (int half = Length / 2; half >= smallestGeneralHalf; half /= 2)
            ForwardStage(re, im, half);
        if (Length >= 4)
            ForwardLastTwoStages(re, im);
    }

    /// <summary>Inverse transform in place without the 1/n factor: spectrum in bit-reversed order, samples out in natural order.</summary>
    public void InverseUnscaled(Span<Vector256<float>> re, Span<Vector256<float>> im)
    {
        CheckLengths(re, im);
        if (Length >= 4)
            InverseFirstTwoStages(re, im);
        for (int half = Length >= 4 ? 4 : 1; half < Length; half *= 2)
            InverseStage(re, im, half);
    }

    // Decimation in frequency, on each block of 2h with a = x[s+j], b = x[s+j+h]:
    //   x[s+j] = a + b,   x[s+j+h] = (a - b) w_j
    private void ForwardStage(Span<Vector256<float>> re, Span<Vector256<float>> im, int half)
    {
        for (int start = 0; start < Length; start += 2 * half)
        {
            var topRe = re.Slice(start, half);
            var topIm = im.Slice(start, half);
            var bottomRe = re.Slice(start + half, half);
            var bottomIm = im.Slice(start + half, half);
            for (int j = 0; j < half; j++)
            {
                var wr = Vector256.Create(twiddleRe[half + j]);
                var wi = Vector256.Create(twiddleIm[half + j]);
                var dr = topRe[j] - bottomRe[j];
                var di = topIm[j] - bottomIm[j];
                topRe[j] += bottomRe[j];
                topIm[j] += bottomIm[j];
                bottomRe[j] = dr * wr - di * wi;
                bottomIm[j] = dr * wi + di * wr;
            }
        }
    }

    // Decimation in time with conjugate twiddles, on each block of 2h with a = x[s+j], b = conj(w_j) x[s+j+h]:
    //   x[s+j] = a + b,   x[s+j+h] = a - b          (conj(w) (r + i s) = (wr r + wi s) + i (wr s - wi r))
    private void InverseStage(Span<Vector256<float>> re, Span<Vector256<float>> im, int half)
    {
        for (int start = 0; start < Length; start += 2 * half)
        {
            var topRe = re.Slice(start, half);
            var topIm = im.Slice(start, half);
            var bottomRe = re.Slice(start + half, half);
            var bottomIm = im.Slice(start + half, half);
            for (int j = 0; j < half; j++)
            {
                var wr = Vector256.Create(twiddleRe[half + j]);
                var wi = Vector256.Create(twiddleIm[half + j]);
                var br = bottomRe[j] * wr + bottomIm[j] * wi;
                var bi = bottomIm[j] * wr - bottomRe[j] * wi;
                bottomRe[j] = topRe[j] - br;
                bottomIm[j] = topIm[j] - bi;
                topRe[j] += br;
                topIm[j] += bi;
            }
        }
    }

    // The stages h = 2 and h = 1 together on each group of four (their twiddles are 1 and -i: no multiplies):
    //   h = 2:  a0 = x0 + x2,  a1 = x1 + x3,  a2 = x0 - x2,  a3 = -i (x1 - x3)      (-i (r + i s) = s - i r)
    //   h = 1:  X0 = a0 + a1,  X1 = a0 - a1,  X2 = a2 + a3,  X3 = a2 - a3
    private void ForwardLastTwoStages(Span<Vector256<float>> re, Span<Vector256<float>> im)
    {
        for (int start = 0; start < Length; start += 4)
        {
            var r = re.Slice(start, 4);
            var i = im.Slice(start, 4);
            var a0r = r[0] + r[2];
            var a0i = i[0] + i[2];
            var a1r = r[1] + r[3];
            var a1i = i[1] + i[3];
            var a2r = r[0] - r[2];
            var a2i = i[0] - i[2];
            var a3r = i[1] - i[3];
            var a3i = r[3] - r[1];
            (r[0], i[0]) = (a0r + a1r, a0i + a1i);
            (r[1], i[1]) = (a0r - a1r, a0i - a1i);
            (r[2], i[2]) = (a2r + a3r, a2i + a3i);
            (r[3], i[3]) = (a2r - a3r, a2i - a3i);
        }
    }

    // The stages h = 1 and h = 2 of the inverse together on each group of four (conjugate twiddles 1 and +i):
    //   h = 1:  a0 = x0 + x1,  a1 = x0 - x1,  a2 = x2 + x3,  a3 = x2 - x3
    //   h = 2:  x0 = a0 + a2,  x2 = a0 - a2,  x1 = a1 + i a3,  x3 = a1 - i a3      (i (r + i s) = -s + i r)
    private void InverseFirstTwoStages(Span<Vector256<float>> re, Span<Vector256<float>> im)
    {
        for (int start = 0; start < Length; start += 4)
        {
            var r = re.Slice(start, 4);
            var i = im.Slice(start, 4);
            var a0r = r[0] + r[1];
            var a0i = i[0] + i[1];
            var a1r = r[0] - r[1];
            var a1i = i[0] - i[1];
            var a2r = r[2] + r[3];
            var a2i = i[2] + i[3];
            var a3r = r[2] - r[3];
            var a3i = i[2] - i[3];
            (r[0], i[0]) = (a0r + a2r, a0i + a2i);
            (r[2], i[2]) = (a0r - a2r, a0i - a2i);
            (r[1], i[1]) = (a1r - a3i, a1i + a3r);
            (r[3], i[3]) = (a1r + a3i, a1i - a3r);
        }
    }

    private void CheckLengths(Span<Vector256<float>> re, Span<Vector256<float>> im)
    {
        if (re.Length != Length || im.Length != Length)
            throw new ArgumentException(
                $"lane FFT of length {Length} got {re.Length} real and {im.Length} imaginary vectors");
    }
}
