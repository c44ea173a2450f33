using ILGPU;
using ILGPU.Algorithms;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// The SSM convolution along L by FFT (spec BIGS.md 2.3). Complex data is interleaved (re, im), one sequence of
/// n = 2^m values after another. Two real columns share one complex sequence p = a + i b: K is real, so
/// conv(K, p) = conv(K, a) + i conv(K, b) and one complex FFT, product and inverse convolve two columns at once. Zero
/// padding to n &gt;= 2L - 1 makes the circular convolution (and correlation) equal the linear one on [0, L).
/// All launches are auto-grouped, one thread per value or butterfly.
/// </summary>
public static class FftKernels
{
    /// <summary>K'[l] = K[l] + D [l == 0]: the skip D u is the lag-0 term of a convolution, so conv(u, K') = conv(u, K) + D u.</summary>
    public static void FoldSkip(Index1D l, ArrayView<float> kernel, ArrayView<float> d, ArrayView<float> folded) =>
        folded[l] = l == 0 ? kernel[0] + d[0] : kernel[l];

    /// <summary>
    /// Packs the columns of x (B, L, H) (column c = b H + h) two per complex sequence of length n, zero padded:
    /// sequence s = column 2s + i column 2s+1 (imaginary part 0 for an odd last column).
    /// </summary>
    public static void PackColumns(Index1D i, ArrayView<float> x, ColumnLayout layout, ArrayView<float> packed)
    {
        int n = layout.FftLength, s = i / n, t = i % n, c = 2 * s;
        float re = 0f, im = 0f;
        if (t < layout.Length)
        {
            re = x[layout.Element(c, t)];
            if (c + 1 < layout.Columns) im = x[layout.Element(c + 1, t)];
        }
        packed[2 * i] = re;
        packed[2 * i + 1] = im;
    }

    /// <summary>
    /// One radix-2 Stockham stage (out of place, self-sorting: after log2 n stages the spectrum is in natural order).
    /// At stride s, for p &lt; n/2s and q &lt; s: y[q + 2sp] = a + b, y[q + s(2p+1)] = (a - b) w^p, with
    /// a = x[q + sp], b = x[q + s(p + n/2s)], w = exp(direction 2 pi i s / n); direction -1 forward, +1 inverse
    /// (unscaled). The twiddle angle is a fraction of a turn, ps/n &lt; 1/2, which a float holds exactly.
    /// </summary>
    public static void Radix2Stage(Index1D i, ArrayView<float> x, ArrayView<float> y, int n, int stride, float direction)
    {
        int butterflies = n / 2;
        int sequence = i / butterflies, j = i % butterflies;
        int q = j % stride, p = j / stride, half = butterflies / stride;
        long first = 2L * sequence * n;
        long ia = first + 2 * (q + stride * p), ib = first + 2 * (q + stride * (p + half));
        float aRe = x[ia], aIm = x[ia + 1], bRe = x[ib], bIm = x[ib + 1];
        float angle = 6.2831855f * ((float)(p * stride) / n);
        float wRe = XMath.Cos(angle), wIm = direction * XMath.Sin(angle);
        float dRe = aRe - bRe, dIm = aIm - bIm;
        long o0 = first + 2 * (q + stride * 2 * p), o1 = first + 2 * (q + stride * (2 * p + 1));
        y[o0] = aRe + bRe;
        y[o0 + 1] = aIm + bIm;
        y[o1] = dRe * wRe - dIm * wIm;
        y[o1 + 1] = dRe * wIm + dIm * wRe;
    }

    /// <summary>
    /// One radix-4 Stockham stage, the same scheme four ways: at stride s, with m = n/4s, for p &lt; m and q &lt; s, from
    /// a, b, c, d = x[q + s(p + r m)] (r = 0..3) and w = exp(direction 2 pi i s / n):
    /// <code>
    /// y[q + s(4p)]     = (a + c) + (b + d)
    /// y[q + s(4p + 1)] = ((a - c) + direction i (b - d)) w^p
    /// y[q + s(4p + 2)] = ((a + c) - (b + d)) w^2p
    /// y[q + s(4p + 3)] = ((a - c) - direction i (b - d)) w^3p
    /// </code>
    /// (a 4-point DFT of the four inputs, e^(direction 2 pi i r u / 4) = (direction i)^(ru), then the twiddles). Half as
    /// many passes over global memory as radix 2; a transform of odd log2 n takes one radix-2 stage first.
    /// </summary>
    public static void Radix4Stage(Index1D i, ArrayView<float> x, ArrayView<float> y, int n, int stride, float direction)
    {
        int groups = n / 4;
        int sequence = i / groups, j = i % groups;
        int q = j % stride, p = j / stride, quarter = groups / stride;
        long first = 2L * sequence * n;
        long ia = first + 2 * (q + stride * p), ib = ia + 2L * stride * quarter, ic = ib + 2L * stride * quarter, id = ic + 2L * stride * quarter;
        float sumAcRe = x[ia] + x[ic], sumAcIm = x[ia + 1] + x[ic + 1], diffAcRe = x[ia] - x[ic], diffAcIm = x[ia + 1] - x[ic + 1];
        float sumBdRe = x[ib] + x[id], sumBdIm = x[ib + 1] + x[id + 1];
        // direction i (b - d)
        float rotRe = -direction * (x[ib + 1] - x[id + 1]), rotIm = direction * (x[ib] - x[id]);
        float angle = 6.2831855f * ((float)(p * stride) / n);
        float w1Re = XMath.Cos(angle), w1Im = direction * XMath.Sin(angle);
        float w2Re = w1Re * w1Re - w1Im * w1Im, w2Im = 2f * w1Re * w1Im;
        float w3Re = w2Re * w1Re - w2Im * w1Im, w3Im = w2Re * w1Im + w2Im * w1Re;
        long o0 = first + 2 * (q + stride * 4 * p), step = 2L * stride;
        y[o0] = sumAcRe + sumBdRe;
        y[o0 + 1] = sumAcIm + sumBdIm;
        StoreRotated(y, o0 + step, diffAcRe + rotRe, diffAcIm + rotIm, w1Re, w1Im);
        StoreRotated(y, o0 + 2 * step, sumAcRe - sumBdRe, sumAcIm - sumBdIm, w2Re, w2Im);
        StoreRotated(y, o0 + 3 * step, diffAcRe - rotRe, diffAcIm - rotIm, w3Re, w3Im);
    }

    /// <summary>y[at] = (re + i im)(wRe + i wIm).</summary>
    private static void StoreRotated(ArrayView<float> y, long at, float re, float im, float wRe, float wIm)
    {
        y[at] = re * wRe - im * wIm;
        y[at + 1] = re * wIm + im * wRe;
    }

    /// <summary>spectra[s][f] *= K^[f], or its conjugate for a correlation (<paramref name="conjugate"/> not 0).</summary>
    public static void MultiplySpectrum(Index1D i, ArrayView<float> spectra, int n, ArrayView<float> kernelSpectrum, int conjugate)
    {
        int f = i % n;
        float kRe = kernelSpectrum[2 * f], kIm = conjugate != 0 ? -kernelSpectrum[2 * f + 1] : kernelSpectrum[2 * f + 1];
        float xRe = spectra[2 * i], xIm = spectra[2 * i + 1];
        spectra[2 * i] = xRe * kRe - xIm * kIm;
        spectra[2 * i + 1] = xRe * kIm + xIm * kRe;
    }

    /// <summary>
    /// cross[f] = sum_s Q_s[f] conj(P_s[f]): the spectrum of the correlation r[k] = sum_t q[t] conj(p[t - k]) summed over
    /// the packed sequences, whose real part sums a_dy[t] a_u[t-k] + b_dy[t] b_u[t-k] over both columns of each.
    /// </summary>
    public static void CrossSpectrum(Index1D f, ArrayView<float> p, ArrayView<float> q, int sequences, int n, ArrayView<float> cross)
    {
        float re = 0f, im = 0f;
        for (int s = 0; s < sequences; s++)
        {
            long i = 2L * ((long)s * n + f);
            re += q[i] * p[i] + q[i + 1] * p[i + 1];
            im += q[i + 1] * p[i] - q[i] * p[i + 1];
        }
        cross[2 * f] = re;
        cross[2 * f + 1] = im;
    }

    /// <summary>
    /// The kernel gradient from the unscaled inverse r of the cross spectrum (one sequence of n): dK[l] = Re r[l] / n for
    /// l &lt; L, and dD = dK[0] (the skip is the lag-0 tap of K'), added onto dD's old value when
    /// <paramref name="accumulate"/> is 1 (D's gradient in place).
    /// </summary>
    public static void KernelGradient(Index1D l, ArrayView<float> inverseCross, int n, int accumulate, ArrayView<float> dKernel, ArrayView<float> dD)
    {
        float tap = inverseCross[2 * l] / n;
        dKernel[l] = tap;
        if (l == 0) dD[0] = accumulate != 0 ? dD[0] + tap : tap;
    }

    /// <summary>
    /// The inverse of <see cref="PackColumns"/> after an unscaled inverse FFT: y[b, t, h] = (Re or Im of sequence
    /// c/2)[t'] / n for t &lt; L, c = b H + h, t' the column step of sequence step t.
    /// </summary>
    public static void UnpackColumns(Index1D i, ArrayView<float> packed, ColumnLayout layout, ArrayView<float> y)
    {
        int h = i % layout.Channels, b = i / (layout.Channels * layout.Length);
        int t = layout.SequenceStep(i / layout.Channels % layout.Length);
        int c = b * layout.Channels + h;
        y[i] = packed[2 * ((long)(c / 2) * layout.FftLength + t) + c % 2] / layout.FftLength;
    }
}
