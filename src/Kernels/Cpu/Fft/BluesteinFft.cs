using System.Numerics;

namespace BiGS.Native.Kernels.Cpu.Fft;

/// <summary>
/// Complex DFT of any length n through a power-of-two FFT (Bluestein's chirp-z algorithm).
/// Writing j k = (j^2 + k^2 - (k - j)^2) / 2 turns the DFT into a convolution:
/// <code>
///   c_k  = exp(-i pi k^2 / n)                                  (the chirp)
///   X[k] = c_k * sum_j (x_j c_j) * conj(c_{k-j})
/// </code>
/// The convolution is done circularly at a power-of-two length M &gt;= 2n - 1, where it equals the linear one.
/// </summary>
internal sealed class BluesteinFft
{
    private readonly Radix2Fft padded;
    private readonly float[] chirpRe;
    private readonly float[] chirpIm;

    // FFT_M of the filter b_m = conj(c_|m|) (m = -(n-1)..n-1, wrapped to [0, M)), pre-scaled by 1/M
    // so the unscaled inverse FFT yields the convolution directly.
    private readonly float[] filterRe;
    private readonly float[] filterIm;

    /// <summary>Builds the chirp and the filter spectrum for length <paramref name="length"/>.</summary>
    public BluesteinFft(int length)
    {
        Length = length;
        padded = new Radix2Fft((int)BitOperations.RoundUpToPowerOf2((uint)(2 * length - 1)));
        (chirpRe, chirpIm) = Chirp(length);
        (filterRe, filterIm) = FilterSpectrum(padded, chirpRe, chirpIm);
    }

    /// <summary>Transform length n.</summary>
    public int Length { get; }

    /// <summary>Floats of scratch that <see cref="Forward"/> needs.</summary>
    public int ScratchLength => 2 * padded.Length;

    /// <summary>Forward transform in place (no scaling); <paramref name="scratch"/> holds at least <see cref="ScratchLength"/> floats.</summary>
    public void Forward(Span<float> re, Span<float> im, Span<float> scratch)
    {
        int m = padded.Length;
        var aRe = scratch[..m];
        var aIm = scratch[m..(2 * m)];

        // a_j = x_j c_j, zero-padded to M.
        for (int j = 0; j < Length; j++)
            (aRe[j], aIm[j]) = Multiply(re[j], im[j], chirpRe[j], chirpIm[j]);
        aRe[Length..].Clear();
        aIm[Length..].Clear();

        // (a * b)[k] = IFFT_M( FFT_M(a) FFT_M(b) )[k]  (the 1/M is in the filter).
        padded.Forward(aRe, aIm);
        for (int k = 0; k < m; k++)
            (aRe[k], aIm[k]) = Multiply(aRe[k], aIm[k], filterRe[k], filterIm[k]);
        padded.InverseUnscaled(aRe, aIm);

        // X[k] = c_k (a * b)[k].
        for (int k = 0; k < Length; k++)
            (re[k], im[k]) = Multiply(aRe[k], aIm[k], chirpRe[k], chirpIm[k]);
    }

    private static (float Re, float Im) Multiply(float ar, float ai, float br, float bi) =>
        (ar * br - ai * bi, ar * bi + ai * br);

    private static (float[] Re, float[] Im) Chirp(int length)
    {
        var re = new float[length];
        var im = new float[length];
        long period = 2L * length; // exp(-i pi k^2 / n) only depends on k^2 mod 2n, which keeps the angle small and exact.
        for (int k = 0; k < length; k++)
        {
            long phase = (long)k * k % period;
            (double sin, double cos) = Math.SinCos(Math.PI * phase / length);
            re[k] = (float)cos;
            im[k] = (float)-sin;
        }
        return (re, im);
    }

    private static (float[] Re, float[] Im) FilterSpectrum(Radix2Fft padded, float[] chirpRe, float[] chirpIm)
    {
        int m = padded.Length;
        var re = new float[m];
        var im = new float[m];
        float scale = 1f / m;
        for (int j = 0; j < chirpRe.Length; j++)
        {
            // b_j = b_{-j} = conj(c_j) / M; negative indices wrap to M - j.
            re[j] = re[(m - j) % m] = chirpRe[j] * scale;
            im[j] = im[(m - j) % m] = -chirpIm[j] * scale;
        }
        padded.Forward(re, im);
        return (re, im);
    }
}
