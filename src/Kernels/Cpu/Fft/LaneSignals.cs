using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BiGS.Native.Kernels.Cpu.Fft;

/// <summary>
/// Scratch for <see cref="LaneFft.Lanes"/> complex signals of n samples in the lane layout of <see cref="LaneFft"/>
/// (sample j of every signal is the vector pair Re[j], Im[j]), rented from the shared pool and returned on dispose.
/// Created zeroed.
/// </summary>
internal sealed class LaneSignals : IDisposable
{
    private readonly float[] storage;
    private readonly int length;

    /// <summary>Rents and zeroes room for <paramref name="length"/> samples.</summary>
    public LaneSignals(int length)
    {
        this.length = length;
        storage = ArrayPool<float>.Shared.Rent(2 * length * LaneFft.Lanes);
        storage.AsSpan(0, 2 * length * LaneFft.Lanes).Clear();
    }

    /// <summary>Real parts: Re[j] lane c is sample j of signal c.</summary>
    public Span<Vector256<float>> Re => Vectors(0);

    /// <summary>Imaginary parts, laid out like <see cref="Re"/>.</summary>
    public Span<Vector256<float>> Im => Vectors(length);

    /// <summary>this += other, sample by sample.</summary>
    public void Add(LaneSignals other)
    {
        Span<Vector256<float>> re = Re, im = Im, otherRe = other.Re, otherIm = other.Im;
        for (int j = 0; j < length; j++)
        {
            re[j] += otherRe[j];
            im[j] += otherIm[j];
        }
    }

    /// <summary>this += a * conj(b), sample by sample (in the frequency domain: the spectrum of a correlation).</summary>
    public void AddProductWithConjugate(LaneSignals a, LaneSignals b)
    {
        Span<Vector256<float>> re = Re, im = Im, aRe = a.Re, aIm = a.Im, bRe = b.Re, bIm = b.Im;
        for (int j = 0; j < length; j++)
        {
            // (ar + i ai)(br - i bi) = (ar br + ai bi) + i (ai br - ar bi)
            re[j] += aRe[j] * bRe[j] + aIm[j] * bIm[j];
            im[j] += aIm[j] * bRe[j] - aRe[j] * bIm[j];
        }
    }

    /// <summary>
    /// sum over the first <paramref name="count"/> samples and all lanes of Re(a) Re(b) + Im(a) Im(b), in double:
    /// the dot product of the real signals packed into a and b.
    /// </summary>
    public static double RealDot(LaneSignals a, LaneSignals b, int count)
    {
        Span<Vector256<float>> aRe = a.Re, aIm = a.Im, bRe = b.Re, bIm = b.Im;
        var sum = Vector256<double>.Zero;
        for (int j = 0; j < count; j++)
            sum += WideDot(aRe[j], bRe[j]) + WideDot(aIm[j], bIm[j]);
        return Vector256.Sum(sum);
    }

    /// <inheritdoc />
    public void Dispose() => ArrayPool<float>.Shared.Return(storage);

    // x . y in double lanes: a float product is exact in double, so only the sums round.
    private static Vector256<double> WideDot(Vector256<float> x, Vector256<float> y)
    {
        var (xLow, xHigh) = Vector256.Widen(x);
        var (yLow, yHigh) = Vector256.Widen(y);
        return xLow * yLow + xHigh * yHigh;
    }

    private Span<Vector256<float>> Vectors(int firstSample) =>
        MemoryMarshal.Cast<float, Vector256<float>>(storage.AsSpan(firstSample * LaneFft.Lanes, length * LaneFft.Lanes));
}
