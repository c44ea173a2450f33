using System.Buffers;
using System.Runtime.InteropServices;

namespace BiGS.Native.Kernels.Cpu.Fft;

/// <summary>
/// Scratch for <see cref="LaneFft{TLanes}.Lanes"/> complex signals of n samples in the lane layout of <see cref="LaneFft{TLanes}"/>
/// (sample j of every signal is the vector pair Re[j], Im[j]), rented from the shared pool and returned on dispose.
/// Created zeroed.
/// </summary>
internal sealed class LaneSignals<TLanes> : IDisposable where TLanes : struct, ILaneVector<TLanes>
{
    private readonly float[] storage;
    private readonly int length;

    /// <summary>Rents and zeroes room for <paramref name="length"/> samples.</summary>
    public LaneSignals(int length)
    {
        this.length = length;
        storage = ArrayPool<float>.Shared.Rent(2 * length * TLanes.Count);
        storage.AsSpan(0, 2 * length * TLanes.Count).Clear();
    }

    /// <summary>Real parts: Re[j] lane c is sample j of signal c.</summary>
    public Span<TLanes> Re => Vectors(0);

    /// <summary>Imaginary parts, laid out like <see cref="Re"/>.</summary>
    public Span<TLanes> Im => Vectors(length);

    /// <summary>this += other, sample by sample.</summary>
    public void Add(LaneSignals<TLanes> other)
    {
        Span<TLanes> re = Re, im = Im, otherRe = other.Re, otherIm = other.Im;
        for (int j = 0; j < length; j++)
        {
            re[j] += otherRe[j];
            im[j] += otherIm[j];
        }
    }

    /// <summary>this += a * conj(b), sample by sample (in the frequency domain: the spectrum of a correlation).</summary>
    public void AddProductWithConjugate(LaneSignals<TLanes> a, LaneSignals<TLanes> b)
    {
        Span<TLanes> re = Re, im = Im, aRe = a.Re, aIm = a.Im, bRe = b.Re, bIm = b.Im;
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
    public static double RealDot(LaneSignals<TLanes> a, LaneSignals<TLanes> b, int count) =>
        WideDot(a.Re[..count], b.Re[..count]) + WideDot(a.Im[..count], b.Im[..count]);

    /// <summary>sum over samples j and lanes c of x[j][c] y[j][c], with products and sums in double.</summary>
    private static double WideDot(ReadOnlySpan<TLanes> x, ReadOnlySpan<TLanes> y)
    {
        TLanes low = default, high = default;
        for (int j = 0; j < x.Length; j++)
            (low, high) = TLanes.AddWidenedProduct(x[j], y[j], low, high);
        return TLanes.TotalOfWidened(low, high);
    }

    /// <inheritdoc />
    public void Dispose() => ArrayPool<float>.Shared.Return(storage);

    private Span<TLanes> Vectors(int firstSample) =>
        MemoryMarshal.Cast<float, TLanes>(storage.AsSpan(firstSample * TLanes.Count, length * TLanes.Count));
}
