using System.Buffers;
using System.Collections.Concurrent;

namespace BiGS.Native.Kernels.Cpu.Fft;

/// <summary>
/// A real-input FFT plan for one length n &gt;= 1. The spectrum of a real signal is Hermitian
/// (X[n-k] = conj(X[k])), so only bins k = 0..n/2 are stored, interleaved as [re0, im0, re1, im1, ...]:
/// <code>
///   Forward:  X[k] = sum_j x[j] exp(-2 pi i j k / n),       k = 0..n/2
///   Inverse:  x[j] = (1/n) sum_{k=0..n-1} X[k] exp(+2 pi i j k / n)   (missing bins from Hermitian symmetry)
/// </code>
/// Even n packs pairs of samples into one complex number and runs a complex FFT of n/2 (the classic
/// real-to-complex trick); odd n runs a complex FFT of n with zero imaginary parts.
/// Plans are immutable and safe to share between threads; get them from <see cref="ForLength"/>.
/// Calls do not allocate in the steady state (scratch comes from the shared array pool).
/// </summary>
public sealed class RealFft
{
    private static readonly ConcurrentDictionary<int, RealFft> Plans = new();

    private readonly ComplexFft complex;

    // W^k = exp(-2 pi i k / n) for k < n/2 (even n only), computed in double, stored as float.
    private readonly float[] twiddleRe;
    private readonly float[] twiddleIm;

    private RealFft(int length)
    {
        Length = length;
        bool even = length % 2 == 0;
        complex = ComplexFft.ForLength(even ? length / 2 : length);
        int halfLength = even ? length / 2 : 0;
        twiddleRe = new float[halfLength];
        twiddleIm = new float[halfLength];
        for (int k = 0; k < halfLength; k++)
        {
            (double sin, double cos) = Math.SinCos(2 * Math.PI * k / length);
            twiddleRe[k] = (float)cos;
            twiddleIm[k] = (float)-sin;
        }
    }

    /// <summary>Signal length n.</summary>
    public int Length { get; }

    /// <summary>Floats in a spectrum: 2 (n/2 + 1), i.e. n/2 + 1 interleaved complex bins.</summary>
    public int SpectrumLength => 2 * (Length / 2 + 1);

    /// <summary>The cached plan for <paramref name="length"/> (created on first use, thread-safe).</summary>
    public static RealFft ForLength(int length)
    {
        if (length < 1)
            throw new ArgumentOutOfRangeException(nameof(length), length, "FFT length must be at least 1");
        return Plans.GetOrAdd(length, static n => new RealFft(n));
    }

    /// <summary>Spectrum (n/2 + 1 interleaved complex bins) of the real signal <paramref name="x"/> (n values).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> spectrum)
    {
        CheckLengths(x.Length, spectrum.Length);
        float[] scratch = ArrayPool<float>.Shared.Rent(2 * complex.Length);
        try
        {
            var zRe = scratch.AsSpan(0, complex.Length);
            var zIm = scratch.AsSpan(complex.Length, complex.Length);
            if (Length % 2 == 0)
                ForwardEven(x, spectrum, zRe, zIm);
            else
                ForwardOdd(x, spectrum, zRe, zIm);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// Real signal (n values) from its half spectrum, scaled by 1/n so that Inverse(Forward(x)) == x.
    /// The imaginary parts of bin 0 (and of bin n/2 for even n) are ignored, as they are zero for any real signal.
    /// </summary>
    public void Inverse(ReadOnlySpan<float> spectrum, Span<float> x)
    {
        CheckLengths(x.Length, spectrum.Length);
        float[] scratch = ArrayPool<float>.Shared.Rent(2 * complex.Length);
        try
        {
            var zRe = scratch.AsSpan(0, complex.Length);
            var zIm = scratch.AsSpan(complex.Length, complex.Length);
            if (Length % 2 == 0)
                InverseEven(spectrum, x, zRe, zIm);
            else
                InverseOdd(spectrum, x, zRe, zIm);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    // n = 2m. Pack z_j = x_{2j} + i x_{2j+1} and take Z = FFT_m(z). With E, O the spectra of the even and
    // odd samples (indices mod m):
    //   E[k] = (Z[k] + conj(Z[m-k])) / 2,   O[k] = (Z[k] - conj(Z[m-k])) / (2i),   X[k] = E[k] + W^k O[k].
    private void ForwardEven(ReadOnlySpan<float> x, Span<float> spectrum, Span<float> zRe, Span<float> zIm)
    {
        int m = complex.Length;
        for (int j = 0; j < m; j++)
        {
            zRe[j] = x[2 * j];
            zIm[j] = x[2 * j + 1];
        }
        complex.Forward(zRe, zIm);

        // k = 0 and k = m: E[0] = Re Z[0], O[0] = Im Z[0], W^0 = 1, W^m = -1.
        spectrum[0] = zRe[0] + zIm[0];
        spectrum[1] = 0f;
        spectrum[2 * m] = zRe[0] - zIm[0];
        spectrum[2 * m + 1] = 0f;
        for (int k = 1; k < m; k++)
        {
            float pr = zRe[k], pi = zIm[k];          // Z[k]
            float qr = zRe[m - k], qi = -zIm[m - k]; // conj(Z[m-k])
            float evenRe = 0.5f * (pr + qr), evenIm = 0.5f * (pi + qi);
            float oddRe = 0.5f * (pi - qi), oddIm = -0.5f * (pr - qr);
            float wr = twiddleRe[k], wi = twiddleIm[k];
            spectrum[2 * k] = evenRe + (wr * oddRe - wi * oddIm);
            spectrum[2 * k + 1] = evenIm + (wr * oddIm + wi * oddRe);
        }
    }

    // Undo ForwardEven: E[k] = (X[k] + conj(X[m-k])) / 2, O[k] = (X[k] - conj(X[m-k])) conj(W^k) / 2,
    // then z = IFFT_m(E + i O) holds x_{2j} + i x_{2j+1}.
    private void InverseEven(ReadOnlySpan<float> spectrum, Span<float> x, Span<float> zRe, Span<float> zIm)
    {
        int m = complex.Length;
        float first = spectrum[0], last = spectrum[2 * m];
        zRe[0] = 0.5f * (first + last);
        zIm[0] = 0.5f * (first - last);
        for (int k = 1; k < m; k++)
        {
            float pr = spectrum[2 * k], pi = spectrum[2 * k + 1];                // X[k]
            float qr = spectrum[2 * (m - k)], qi = -spectrum[2 * (m - k) + 1];   // conj(X[m-k])
            float evenRe = 0.5f * (pr + qr), evenIm = 0.5f * (pi + qi);
            float diffRe = 0.5f * (pr - qr), diffIm = 0.5f * (pi - qi);
            float wr = twiddleRe[k], wi = -twiddleIm[k];                          // conj(W^k)
            float oddRe = diffRe * wr - diffIm * wi, oddIm = diffRe * wi + diffIm * wr;
            zRe[k] = evenRe - oddIm;
            zIm[k] = evenIm + oddRe;
        }
        complex.Inverse(zRe, zIm);
        for (int j = 0; j < m; j++)
        {
            x[2 * j] = zRe[j];
            x[2 * j + 1] = zIm[j];
        }
    }

    private void ForwardOdd(ReadOnlySpan<float> x, Span<float> spectrum, Span<float> zRe, Span<float> zIm)
    {
        x.CopyTo(zRe);
        zIm.Clear();
        complex.Forward(zRe, zIm);
        for (int k = 0; k <= Length / 2; k++)
        {
            spectrum[2 * k] = zRe[k];
            spectrum[2 * k + 1] = zIm[k];
        }
        spectrum[1] = 0f;
    }

    // Rebuild the full spectrum with X[n-k] = conj(X[k]) and take the real part of the inverse complex FFT.
    private void InverseOdd(ReadOnlySpan<float> spectrum, Span<float> x, Span<float> zRe, Span<float> zIm)
    {
        zRe[0] = spectrum[0];
        zIm[0] = 0f;
        for (int k = 1; k <= Length / 2; k++)
        {
            zRe[k] = zRe[Length - k] = spectrum[2 * k];
            zIm[k] = spectrum[2 * k + 1];
            zIm[Length - k] = -spectrum[2 * k + 1];
        }
        complex.Inverse(zRe, zIm);
        zRe.CopyTo(x);
    }

    private void CheckLengths(int signalLength, int spectrumLength)
    {
        if (signalLength != Length || spectrumLength != SpectrumLength)
            throw new ArgumentException(
                $"real FFT of length {Length} needs {Length} samples and {SpectrumLength} spectrum floats; " +
                $"got {signalLength} samples and {spectrumLength} spectrum floats");
    }
}
