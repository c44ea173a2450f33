using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BiGS.Native.Kernels.Cpu;

/// <summary>
/// Vectorised transcendental functions on 8 floats, accurate to a few float ulps. exp and log are the
/// runtime's own <see cref="Vector256.Exp(Vector256{float})"/> / <see cref="Vector256.Log(Vector256{float})"/>;
/// tanh and the normal CDF are built here from exp plus small polynomials.
/// The polynomial coefficients are Chebyshev fits made for this file with mpmath's <c>chebyfit</c>
/// (40-digit arithmetic); each comment gives the fitted function, interval and relative error of the fit.
/// </summary>
internal static class SimdMath
{
    /// <summary>a*b + c, fused when the CPU has FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    /// <summary>Horner evaluation of c[0] s^(n-1) + ... + c[n-1] (highest power first).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Polynomial(Vector256<float> s, ReadOnlySpan<float> coefficients)
    {
        var sum = Vector256.Create(coefficients[0]);
        for (int i = 1; i < coefficients.Length; i++)
            sum = MulAdd(sum, s, Vector256.Create(coefficients[i]));
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
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        var a = Vector256.Abs(x);
        var small = x * Polynomial(x * x, TanhSmall);
        var large = Vector256<float>.One - Vector256.Create(2f) / (Vector256.Exp(a + a) + Vector256<float>.One);
        var signedLarge = Vector256.CopySign(large, x);
        return Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(TanhSmallLimit)), small, signedLarge);
    }

    /// <summary>sigmoid(x) = 1 / (1 + exp(-x)); exp overflowing to +inf gives exactly 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x) =>
        Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));

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
    public static Vector256<float> NormalCdf(Vector256<float> x)
    {
        var half = Vector256.Create(0.5f);
        var z = x * Vector256.Create(InverseSqrt2);
        var a = Vector256.Abs(z);
        var small = MulAdd(half * z, Polynomial(z * z, ErfSmall), half);

        var t = Vector256<float>.One / MulAdd(half, a, Vector256<float>.One);
        // exp(-z^2) = exp(-x^2/2), taken from x itself so the rounding of z does not enter the exponent.
        var halfErfc = half * ExpOfMinusHalfSquare(x) * t * Polynomial(t, ErfcLargeG);
        var large = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero),
            Vector256<float>.One - halfErfc, halfErfc);
        return Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256<float>.One), small, large);
    }

    /// <summary>
    /// exp(-x^2/2) without losing the rounding error of x^2 (which would cost up to 1e-5 relative for
    /// |x| ~ 6): with hi = fl(x*x) and lo = x*x - hi exactly (one FMA), exp(-(hi + lo)/2) = exp(-hi/2) * (1 - lo/2).
    /// </summary>
    private static Vector256<float> ExpOfMinusHalfSquare(Vector256<float> x)
    {
        var half = Vector256.Create(0.5f);
        var hi = x * x;
        var lo = Fma.IsSupported ? Fma.MultiplyAdd(x, x, -hi) : Vector256<float>.Zero;
        return Vector256.Exp(-half * hi) * (Vector256<float>.One - half * lo);
    }

    /// <summary>Standard normal density phi(x) = exp(-x^2/2) / sqrt(2 pi).</summary>
    public static Vector256<float> NormalPdf(Vector256<float> x) =>
        Vector256.Create(0.398942280f) * ExpOfMinusHalfSquare(x);
}
