using System.Runtime.CompilerServices;

namespace BiGS.Native.Kernels.Cpu;

/// <summary>
/// Vectorised transcendental functions on lane vectors of any width, accurate to a few float ulps. exp and log are
/// the runtime's own (<see cref="ILaneVector{TSelf}.Exp"/>, <see cref="ILaneVector{TSelf}.Log"/>); tanh and the
/// normal CDF are built here from exp plus small polynomials.
/// The polynomial coefficients are Chebyshev fits made for this file with mpmath's <c>chebyfit</c>
/// (40-digit arithmetic); each comment gives the fitted function, interval and relative error of the fit.
/// </summary>
internal static class SimdMath
{
    /// <summary>Horner evaluation of c[0] s^(n-1) + ... + c[n-1] (highest power first).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TLanes Polynomial<TLanes>(TLanes s, ReadOnlySpan<float> coefficients) where TLanes : struct, ILaneVector<TLanes>
    {
        var sum = TLanes.Broadcast(coefficients[0]);
        for (int i = 1; i < coefficients.Length; i++)
            sum = TLanes.MulAdd(sum, s, TLanes.Broadcast(coefficients[i]));
        return sum;
    }

    // tanh(x)/x as a polynomial in s = x^2 on |x| <= 0.625 (fit error 4e-9 relative).
    private static ReadOnlySpan<float> TanhSmall =>
        [-0.00565713504f, 0.0205881912f, -0.0537201092f, 0.133311138f, -0.333332598f, 1f];

    private const float TanhSmallLimit = 0.625f;

    /// <summary>
    /// tanh(x). Small |x|: x * P(x^2). Otherwise tanh|x| = 1 - 2/(exp(2|x|) + 1) with the sign of x put back
    /// (no cancellation there since tanh|x| &gt;= 0.55; exp overflowing to +inf gives exactly 1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TLanes Tanh<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes>
    {
        var one = TLanes.Broadcast(1f);
        var a = TLanes.Abs(x);
        var small = x * Polynomial(x * x, TanhSmall);
        var large = one - TLanes.Broadcast(2f) / (TLanes.Exp(a + a) + one);
        var signedLarge = TLanes.CopySign(large, x);
        return TLanes.Select(TLanes.LessThan(a, TLanes.Broadcast(TanhSmallLimit)), small, signedLarge);
    }

    /// <summary>sigmoid(x) = 1 / (1 + exp(-x)); exp overflowing to +inf gives exactly 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TLanes Sigmoid<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> =>
        TLanes.Broadcast(1f) / (TLanes.Broadcast(1f) + TLanes.Exp(-x));

    // erf(z)/z as a polynomial in s = z^2 on |z| <= 1 (fit error 1.3e-9 relative).
    private static ReadOnlySpan<float> ErfSmall =>
        [7.87587487e-05f, -0.00080168643f, 0.00518908724f, -0.0268542115f, 0.112835944f, -0.37612626f, 1.12837911f];

    // For z >= 1: erfc(z) = exp(-z^2) * t * G(t) with t = 1/(1 + z/2), G a polynomial on t in (0, 2/3]
    // (fit error 4.5e-9 relative, valid for every z >= 1 since t -> 0 as z -> infinity).
    private static ReadOnlySpan<float> ErfcLargeG =>
        [-0.0817515776f, 0.263308376f, -0.262995481f, 0.0356949754f, -0.0293144211f, 0.0878569409f,
         0.175914153f, 0.246852577f, 0.282094419f, 0.282094806f];

    private const float InverseSqrt2 = 0.707106781f;

    /// <summary>
    /// Standard normal CDF Phi(x) = 0.5 (1 + erf(x/sqrt2)), accurate in the far tails too:
    /// with z = x/sqrt2, for |z| &lt; 1 Phi = 0.5 + 0.5 z P(z^2); otherwise e = erfc(|z|) from the exp form
    /// and Phi = 1 - e/2 for x &gt; 0, e/2 for x &lt; 0 (never computing 1 + erf(z) = 1 - 0.99...).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TLanes NormalCdf<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes>
    {
        var half = TLanes.Broadcast(0.5f);
        var one = TLanes.Broadcast(1f);
        var z = x * TLanes.Broadcast(InverseSqrt2);
        var a = TLanes.Abs(z);
        var small = TLanes.MulAdd(half * z, Polynomial(z * z, ErfSmall), half);

        var t = one / TLanes.MulAdd(half, a, one);
        // exp(-z^2) = exp(-x^2/2), taken from x itself so the rounding of z does not enter the exponent.
        var halfErfc = half * ExpOfMinusHalfSquare(x) * t * Polynomial(t, ErfcLargeG);
        var large = TLanes.Select(TLanes.GreaterThan(x, TLanes.Broadcast(0f)), one - halfErfc, halfErfc);
        return TLanes.Select(TLanes.LessThan(a, one), small, large);
    }

    /// <summary>
    /// exp(-x^2/2) without losing the rounding error of x^2 (which would cost up to 1e-5 relative for
    /// |x| ~ 6): with hi = fl(x*x) and lo = x*x - hi exactly (one FMA), exp(-(hi + lo)/2) = exp(-hi/2) * (1 - lo/2).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TLanes ExpOfMinusHalfSquare<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes>
    {
        var half = TLanes.Broadcast(0.5f);
        var hi = x * x;
        var lo = TLanes.MulAddIsFused ? TLanes.MulAdd(x, x, -hi) : TLanes.Broadcast(0f);
        return TLanes.Exp(-half * hi) * (TLanes.Broadcast(1f) - half * lo);
    }

    /// <summary>Standard normal density phi(x) = exp(-x^2/2) / sqrt(2 pi).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TLanes NormalPdf<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> =>
        TLanes.Broadcast(0.398942280f) * ExpOfMinusHalfSquare(x);
}
