using System.Buffers;

namespace BiGS.Native.Kernels.Cpu.Fft;

/// <summary>
/// The spectrum of one real signal k, zero-padded to the length n of a <see cref="LaneFft{TLanes}"/>, in its bit-reversed
/// order and scaled by 1/n, as factors to multiply every lane by:
/// <code>
///   F[p] = FFT(pad(k, n))[reverse(p)] / n          (or its conjugate)
/// </code>
/// Multiplying a lane spectrum by F and running <see cref="LaneFft{TLanes}.InverseUnscaled"/> convolves every lane with k
/// (correlates, with the conjugate). Its arrays are rented from the shared pool and returned on dispose.
/// </summary>
internal sealed class LaneSharedSpectrum<TLanes> : IDisposable where TLanes : struct, ILaneVector<TLanes>
{
    private readonly float[] factorRe;
    private readonly float[] factorIm;
    private readonly int length;

    /// <summary>Transforms <paramref name="signal"/> (at most n values) for <paramref name="fft"/>, conjugated if asked.</summary>
    public LaneSharedSpectrum(LaneFft<TLanes> fft, ReadOnlySpan<float> signal, bool conjugate)
    {
        length = fft.Length;
        if (signal.Length > length)
            throw new ArgumentException($"a signal of {signal.Length} values does not fit an FFT of length {length}", nameof(signal));
        factorRe = ArrayPool<float>.Shared.Rent(length);
        factorIm = ArrayPool<float>.Shared.Rent(length);
        float[] naturalRe = ArrayPool<float>.Shared.Rent(length);
        float[] naturalIm = ArrayPool<float>.Shared.Rent(length);
        try
        {
            var re = naturalRe.AsSpan(0, length);
            var im = naturalIm.AsSpan(0, length);
            signal.CopyTo(re);
            re[signal.Length..].Clear();
            im.Clear();
            Radix2Fft.ForLength(length).Forward(re, im);
            float scale = 1f / length, imaginarySign = conjugate ? -scale : scale;
            for (int p = 0; p < length; p++)
            {
                int bin = fft.BitReversedIndex(p);
                factorRe[p] = scale * re[bin];
                factorIm[p] = imaginarySign * im[bin];
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(naturalRe);
            ArrayPool<float>.Shared.Return(naturalIm);
        }
    }

    /// <summary>z[p] *= F[p] for every bin p and lane.</summary>
    public void MultiplyInto(LaneSignals<TLanes> z)
    {
        Span<TLanes> re = z.Re, im = z.Im;
        if (re.Length != length)
            throw new ArgumentException($"lane signals of {re.Length} samples; the spectrum has {length} bins", nameof(z));
        for (int p = 0; p < length; p++)
        {
            var fr = TLanes.Broadcast(factorRe[p]);
            var fi = TLanes.Broadcast(factorIm[p]);
            var zr = re[p];
            var zi = im[p];
            re[p] = zr * fr - zi * fi;
            im[p] = zr * fi + zi * fr;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ArrayPool<float>.Shared.Return(factorRe);
        ArrayPool<float>.Shared.Return(factorIm);
    }
}
