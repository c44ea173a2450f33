using System.Collections.Concurrent;
using System.Numerics;

namespace BiGS.Native.Kernels.Cpu.Fft;

/// <summary>
/// Complex FFTs of <see cref="Lanes"/> independent signals at once (8 in a <see cref="Lanes8"/>, 16 in a
/// <see cref="Lanes16"/>), for a power-of-two length n. Sample j of all
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
internal sealed class LaneFft<TLanes> where TLanes : struct, ILaneVector<TLanes>
{
    private static readonly ConcurrentDictionary<int, LaneFft<TLanes>> Plans = new();

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

    /// <summary>Signals transformed together: the lanes of one vector.</summary>
    public static int Lanes => TLanes.Count;

    /// <summary>Transform length n (a power of two).</summary>
    public int Length { get; }

    /// <summary>The cached plan for a power-of-two <paramref name="length"/> (created on first use, thread-safe).</summary>
    public static LaneFft<TLanes> ForLength(int length)
    {
        if (length < 1 || !BitOperations.IsPow2(length))
            throw new ArgumentOutOfRangeException(nameof(length), length, "lane FFT length must be a power of two");
        return Plans.GetOrAdd(length, static n => new LaneFft<TLanes>(n));
    }

    /// <summary>The frequency bin that position <paramref name="position"/> of a bit-reversed spectrum holds.</summary>
    public int BitReversedIndex(int position) => reversed[position];

    /// <summary>Forward transform in place: samples in natural order, spectrum out in bit-reversed order.</summary>
    public void Forward(Span<TLanes> re, Span<TLanes> im)
    {
        CheckLengths(re, im);
        if (Length < 4)
        {
            if (Length == 2)
                ForwardStage(re, im, 1);
            return;
        }
        int half = Length / 2;
        for (; half >= 8; half /= 4)
            ForwardTwoStages(re, im, half);
        if (half == 4)
            ForwardStage(re, im, 4);
        ForwardLastTwoStages(re, im);
    }

    /// <summary>Inverse transform in place without the 1/n factor: spectrum in bit-reversed order, samples out in natural order.</summary>
    public void InverseUnscaled(Span<TLanes> re, Span<TLanes> im)
    {
        CheckLengths(re, im);
        if (Length < 4)
        {
            if (Length == 2)
                InverseStage(re, im, 1);
            return;
        }
        InverseFirstTwoStages(re, im);
        int half = 4;
        if (BitOperations.Log2((uint)Length) % 2 == 1)
        {
            InverseStage(re, im, half);
            half *= 2;
        }
        for (; half < Length; half *= 4)
            InverseTwoStages(re, im, half);
    }

    // Decimation in frequency, on each block of 2h with a = x[s+j], b = x[s+j+h]:
    //   x[s+j] = a + b,   x[s+j+h] = (a - b) w_j
    private void ForwardStage(Span<TLanes> re, Span<TLanes> im, int half)
    {
        for (int start = 0; start < Length; start += 2 * half)
        {
            var topRe = re.Slice(start, half);
            var topIm = im.Slice(start, half);
            var bottomRe = re.Slice(start + half, half);
            var bottomIm = im.Slice(start + half, half);
            for (int j = 0; j < half; j++)
            {
                var wr = TLanes.Broadcast(twiddleRe[half + j]);
                var wi = TLanes.Broadcast(twiddleIm[half + j]);
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
    private void InverseStage(Span<TLanes> re, Span<TLanes> im, int half)
    {
        for (int start = 0; start < Length; start += 2 * half)
        {
            var topRe = re.Slice(start, half);
            var topIm = im.Slice(start, half);
            var bottomRe = re.Slice(start + half, half);
            var bottomIm = im.Slice(start + half, half);
            for (int j = 0; j < half; j++)
            {
                var wr = TLanes.Broadcast(twiddleRe[half + j]);
                var wi = TLanes.Broadcast(twiddleIm[half + j]);
                var br = bottomRe[j] * wr + bottomIm[j] * wi;
                var bi = bottomIm[j] * wr - bottomRe[j] * wi;
                bottomRe[j] = topRe[j] - br;
                bottomIm[j] = topIm[j] - bi;
                topRe[j] += br;
                topIm[j] += bi;
            }
        }
    }

    // The stages h and q = h/2 together (radix 2^2), on each block of 2h = 4q with x0..x3 = x[s+j + {0, q, 2q, 3q}], j < q.
    // Stage h pairs x0 with x2 and x1 with x3, whose twiddle is w_h(j + q) = -i w_h(j); stage q then works within each half:
    //   a0 = x0 + x2,   a2 = (x0 - x2) w_h(j),   a1 = x1 + x3,   a3 = -i (x1 - x3) w_h(j)
    //   x0 = a0 + a1,   x1 = (a0 - a1) w_q(j),   x2 = a2 + a3,   x3 = (a2 - a3) w_q(j)
    // One pass instead of two halves the loads and stores.
    private void ForwardTwoStages(Span<TLanes> re, Span<TLanes> im, int half)
    {
        int quarter = half / 2;
        for (int start = 0; start < Length; start += 2 * half)
        {
            var r = re.Slice(start, 2 * half);
            var i = im.Slice(start, 2 * half);
            for (int j = 0; j < quarter; j++)
            {
                int j1 = j + quarter, j2 = j + half, j3 = j + half + quarter;
                var (wHr, wHi) = Twiddle(half, j);
                var (wQr, wQi) = Twiddle(quarter, j);
                var (a0r, a0i) = (r[j] + r[j2], i[j] + i[j2]);
                var (a1r, a1i) = (r[j1] + r[j3], i[j1] + i[j3]);
                var (a2r, a2i) = Multiply(r[j] - r[j2], i[j] - i[j2], wHr, wHi);
                var (d3r, d3i) = Multiply(r[j1] - r[j3], i[j1] - i[j3], wHr, wHi);
                var (a3r, a3i) = (d3i, -d3r); // -i (r + i s) = s - i r
                (r[j], i[j]) = (a0r + a1r, a0i + a1i);
                (r[j1], i[j1]) = Multiply(a0r - a1r, a0i - a1i, wQr, wQi);
                (r[j2], i[j2]) = (a2r + a3r, a2i + a3i);
                (r[j3], i[j3]) = Multiply(a2r - a3r, a2i - a3i, wQr, wQi);
            }
        }
    }

    // The inverse stages q and h = 2q together, on each block of 2h = 4q with x0..x3 = x[s+j + {0, q, 2q, 3q}], j < q.
    // Stage q pairs x0 with x1 and x2 with x3; stage h then pairs a0 with a2 and a1 with a3, whose twiddle is
    // conj(w_h(j + q)) = i conj(w_h(j)):
    //   b1 = conj(w_q(j)) x1,  a0 = x0 + b1,  a1 = x0 - b1,   b3 = conj(w_q(j)) x3,  a2 = x2 + b3,  a3 = x2 - b3
    //   c2 = conj(w_h(j)) a2,  x0 = a0 + c2,  x2 = a0 - c2,   c3 = i conj(w_h(j)) a3,  x1 = a1 + c3,  x3 = a1 - c3
    private void InverseTwoStages(Span<TLanes> re, Span<TLanes> im, int quarter)
    {
        int half = 2 * quarter;
        for (int start = 0; start < Length; start += 2 * half)
        {
            var r = re.Slice(start, 2 * half);
            var i = im.Slice(start, 2 * half);
            for (int j = 0; j < quarter; j++)
            {
                int j1 = j + quarter, j2 = j + half, j3 = j + half + quarter;
                var (wHr, wHi) = Twiddle(half, j);
                var (wQr, wQi) = Twiddle(quarter, j);
                var (b1r, b1i) = MultiplyConjugate(r[j1], i[j1], wQr, wQi);
                var (b3r, b3i) = MultiplyConjugate(r[j3], i[j3], wQr, wQi);
                var (a0r, a0i) = (r[j] + b1r, i[j] + b1i);
                var (a1r, a1i) = (r[j] - b1r, i[j] - b1i);
                var (a2r, a2i) = (r[j2] + b3r, i[j2] + b3i);
                var (a3r, a3i) = (r[j2] - b3r, i[j2] - b3i);
                var (c2r, c2i) = MultiplyConjugate(a2r, a2i, wHr, wHi);
                var (e3r, e3i) = MultiplyConjugate(a3r, a3i, wHr, wHi);
                var (c3r, c3i) = (-e3i, e3r); // i (r + i s) = -s + i r
                (r[j], i[j]) = (a0r + c2r, a0i + c2i);
                (r[j2], i[j2]) = (a0r - c2r, a0i - c2i);
                (r[j1], i[j1]) = (a1r + c3r, a1i + c3i);
                (r[j3], i[j3]) = (a1r - c3r, a1i - c3i);
            }
        }
    }

    // w_h(j) = exp(-i pi j / h), broadcast to every lane.
    private (TLanes Re, TLanes Im) Twiddle(int half, int j) =>
        (TLanes.Broadcast(twiddleRe[half + j]), TLanes.Broadcast(twiddleIm[half + j]));

    // (ar + i ai)(wr + i wi)
    private static (TLanes Re, TLanes Im) Multiply(
        TLanes ar, TLanes ai, TLanes wr, TLanes wi) =>
        (ar * wr - ai * wi, ar * wi + ai * wr);

    // (ar + i ai) conj(wr + i wi)
    private static (TLanes Re, TLanes Im) MultiplyConjugate(
        TLanes ar, TLanes ai, TLanes wr, TLanes wi) =>
        (ar * wr + ai * wi, ai * wr - ar * wi);

    // The stages h = 2 and h = 1 together on each group of four (their twiddles are 1 and -i: no multiplies):
    //   h = 2:  a0 = x0 + x2,  a1 = x1 + x3,  a2 = x0 - x2,  a3 = -i (x1 - x3)      (-i (r + i s) = s - i r)
    //   h = 1:  X0 = a0 + a1,  X1 = a0 - a1,  X2 = a2 + a3,  X3 = a2 - a3
    private void ForwardLastTwoStages(Span<TLanes> re, Span<TLanes> im)
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
    private void InverseFirstTwoStages(Span<TLanes> re, Span<TLanes> im)
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

    private void CheckLengths(Span<TLanes> re, Span<TLanes> im)
    {
        if (re.Length != Length || im.Length != Length)
            throw new ArgumentException(
                $"lane FFT of length {Length} got {re.Length} real and {im.Length} imaginary vectors");
    }
}
