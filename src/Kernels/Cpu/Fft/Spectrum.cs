using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BiGS.Native.Kernels.Cpu.Fft;

/// <summary>
/// Elementwise arithmetic on spectra stored as interleaved complex numbers [re0, im0, re1, im1, ...],
/// the layout <see cref="RealFft"/> produces.
/// </summary>
public static class Spectrum
{
    /// <summary>y = a * b elementwise (complex). <paramref name="y"/> may be the same span as a or b.</summary>
    public static void ComplexMultiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) =>
        MultiplyInto(a, b, y, conjugateB: false, accumulate: false);

    /// <summary>y = a * conj(b) elementwise (the spectrum of a correlation). <paramref name="y"/> may alias a or b.</summary>
    public static void ComplexMultiplyConjugate(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) =>
        MultiplyInto(a, b, y, conjugateB: true, accumulate: false);

    /// <summary>y += a * conj(b) elementwise, to sum correlation spectra over many channels.</summary>
    public static void ComplexMultiplyConjugateAdd(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) =>
        MultiplyInto(a, b, y, conjugateB: true, accumulate: true);

    /// <summary>x *= scale.</summary>
    internal static void Scale(Span<float> x, float scale)
    {
        var xV = MemoryMarshal.Cast<float, Vector<float>>(x);
        for (int i = 0; i < xV.Length; i++)
            xV[i] *= scale;
        for (int i = xV.Length * Vector<float>.Count; i < x.Length; i++)
            x[i] *= scale;
    }

    // (ar + i ai)(br + i s bi) with s = -1 for conj(b):
    //   re = ar br - s ai bi,   im = s ar bi + ai br
    private static void MultiplyInto(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, bool conjugateB, bool accumulate)
    {
        if (a.Length != b.Length || a.Length != y.Length || a.Length % 2 != 0)
            throw new ArgumentException(
                $"complex multiply needs equal even lengths (interleaved re, im); got a={a.Length}, b={b.Length}, y={y.Length}");
        float s = conjugateB ? -1f : 1f;
        int done = 0;
        if (Vector256.IsHardwareAccelerated)
            done = MultiplyVector256(a, b, y, s, accumulate);
        for (int i = done; i < a.Length; i += 2)
        {
            float ar = a[i], ai = a[i + 1], br = b[i], bi = s * b[i + 1];
            float re = ar * br - ai * bi, im = ar * bi + ai * br;
            if (accumulate)
            {
                y[i] += re;
                y[i + 1] += im;
            }
            else
            {
                y[i] = re;
                y[i + 1] = im;
            }
        }
    }

    // Four complex numbers per vector. With b' = (br, s bi):
    //   y = a * [br, br] + swap(a) * [-s bi, s bi]   where swap(a) = [ai, ar].
    // Returns the number of floats processed.
    private static int MultiplyVector256(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, float s, bool accumulate)
    {
        var aV = MemoryMarshal.Cast<float, Vector256<float>>(a);
        var bV = MemoryMarshal.Cast<float, Vector256<float>>(b);
        var yV = MemoryMarshal.Cast<float, Vector256<float>>(y);
        var swapPairs = Vector256.Create(1, 0, 3, 2, 5, 4, 7, 6);
        var realParts = Vector256.Create(0, 0, 2, 2, 4, 4, 6, 6);
        var imaginaryParts = Vector256.Create(1, 1, 3, 3, 5, 5, 7, 7);
        var crossSigns = Vector256.Create(-s, s, -s, s, -s, s, -s, s);
        for (int i = 0; i < aV.Length; i++)
        {
            var av = aV[i];
            var bv = bV[i];
            var product = av * Vector256.Shuffle(bv, realParts)
                        + Vector256.Shuffle(av, swapPairs) * Vector256.Shuffle(bv, imaginaryParts) * crossSigns;
            yV[i] = accumulate ? yV[i] + product : product;
        }
        return aV.Length * Vector256<float>.Count;
    }
}
