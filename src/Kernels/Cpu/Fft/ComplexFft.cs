using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics;

namespace BiGS.Native.Kernels.Cpu.Fft;

/// <summary>
/// A complex FFT plan for one length n &gt;= 1, on split storage (real and imaginary parts in separate spans):
/// <code>
///   Forward:  X[k] = sum_j x[j] exp(-2 pi i j k / n)
///   Inverse:  x[j] = (1/n) sum_k X[k] exp(+2 pi i j k / n)
/// </code>
/// Powers of two use an iterative radix-2 FFT; other lengths use Bluestein's chirp-z algorithm.
/// Plans are immutable and safe to share between threads; get them from <see cref="ForLength"/>.
/// </summary>
public sealed class ComplexFft
{
    private static readonly ConcurrentDictionary<int, ComplexFft> Plans = new();

    private readonly Radix2Fft? radix2;
    private readonly BluesteinFft? bluestein;

    private ComplexFft(int length)
    {
        Length = length;
        if (BitOperations.IsPow2(length))
            radix2 = new Radix2Fft(length);
        else
            bluestein = new BluesteinFft(length);
    }

    /// <summary>Transform length n.</summary>
    public int Length { get; }

    /// <summary>The cached plan for <paramref name="length"/> (created on first use, thread-safe).</summary>
    public static ComplexFft ForLength(int length)
    {
        if (length < 1)
            throw new ArgumentOutOfRangeException(nameof(length), length, "FFT length must be at least 1");
        return Plans.GetOrAdd(length, static n => new ComplexFft(n));
    }

    /// <summary>Forward transform in place (no scaling). Both spans hold exactly <see cref="Length"/> values.</summary>
    public void Forward(Span<float> re, Span<float> im)
    {
        CheckLengths(re, im);
        Transform(re, im);
    }

    /// <summary>Inverse transform in place, scaled by 1/n so that Inverse(Forward(x)) == x.</summary>
    public void Inverse(Span<float> re, Span<float> im)
    {
        CheckLengths(re, im);
        // IDFT(x) = swap(DFT(swap(x))) / n, where swap exchanges real and imaginary parts.
        Transform(im, re);
        float scale = 1f / Length;
        Spectrum.Scale(re, scale);
        Spectrum.Scale(im, scale);
    }

    private void Transform(Span<float> re, Span<float> im)
    {
        if (radix2 is not null)
        {
            radix2.Forward(re, im);
            return;
        }
        float[] scratch = ArrayPool<float>.Shared.Rent(bluestein!.ScratchLength);
        try
        {
            bluestein.Forward(re, im, scratch);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    private void CheckLengths(Span<float> re, Span<float> im)
    {
        if (re.Length != Length || im.Length != Length)
            throw new ArgumentException(
                $"complex FFT of length {Length} got {re.Length} real and {im.Length} imaginary values");
    }
}
