namespace BiGS.Native.Kernels.Ssm;

/// <summary>
/// The S4D formulas shared by the CPU kernels and the GPU kernels (which ILGPU compiles from these same methods), so
/// both paths evaluate one derivation. Scalar double arithmetic on (re, im) pairs, the exponential, sine and cosine
/// included (<see cref="Exp"/>, <see cref="TurnCosSin"/>: + and * alone, so a GPU runs the same operations inline);
/// per mode n, with dt = exp(log_step):
/// <code>
///   A      = min(A_re, -1e-4) + i A_im            (the clip keeps the SSM stable)
///   z^l    = Abar^l = exp(l dt A)
///   Bbar   = (exp(dt A) - 1) / A                  (zero-order hold with B = 1)
///   dBbar/dA = (dt z - Bbar) / A                  (quotient rule on (z - 1) / A)
/// </code>
/// </summary>
public static class S4DMath
{
    /// <summary>Upper bound of Re(A): larger values of A_re are clipped to it.</summary>
    public const double MaxRealPart = -1e-4;

    private const double HalfPi = Math.PI / 2;
    private const double QuarterTurnsPerRadian = 2 / Math.PI;
    private const double Ln2High = 0.693147180369123816490;    // ln 2 to 32 bits: k Ln2High is exact for |k| < 2^11
    private const double Ln2Low = 1.90821492927058770002e-10;   // ln 2 - Ln2High
    private const double Log2E = 1.4426950408889634074;
    private const double RoundingShift = 6755399441055744.0;

    /// <summary>min(A_re, -1e-4).</summary>
    public static double ClippedRealPart(float aRe) => aRe < MaxRealPart ? aRe : MaxRealPart;

    /// <summary>True where A_re is above the clip, so min() picks the constant and A_re gets no gradient.</summary>
    public static bool IsClipped(float aRe) => aRe > MaxRealPart;

    /// <summary>
    /// z^l = exp(l dt A) for dt A = (<paramref name="stepARe"/>, <paramref name="stepAIm"/>): |z^l| = exp(l dt A_re) and
    /// the phase l dt A_im, whose sine and cosine <see cref="TurnCosSin"/> takes in quarter turns. The phase reaches
    /// 1e4..1e5 rad for long kernels; in double, l dt A_im keeps ~1e-11 rad of accuracy at l = 8192, and removing the
    /// whole quarter turns is exact.
    /// </summary>
    public static void Power(double stepARe, double stepAIm, int l, out double re, out double im)
    {
        double magnitude = Exp(l * stepARe);
        TurnCosSin(l * (stepAIm * QuarterTurnsPerRadian), out double cos, out double sin);
        re = magnitude * cos;
        im = magnitude * sin;
    }

    /// <summary>
    /// e^x from + and * alone, so that a GPU evaluates it inline as the CPU does (ILGPU's double exp is a CORDIC loop
    /// of calls through local memory). With k = round(x log2(e)) and r = x - k ln 2 (|r| &lt;= 0.35; ln 2 in two parts,
    /// the first short enough that k times it is exact, so r is as accurate as x):
    /// <code>
    ///   e^x = 2^k e^r,   e^r by its Taylor series to r^13 (remainder below 5e-18)
    /// </code>
    /// 2^k is built from its exponent bits in two halves, so results that overflow give infinity and those below the
    /// smallest normal flush gradually to 0.
    /// </summary>
    public static double Exp(double x)
    {
        if (double.IsNaN(x)) return x;
        // beyond +-760 the result is infinity or 0 anyway; clamping keeps k and its halves in range
        x = x > 760 ? 760 : x < -760 ? -760 : x;
        double k = RoundToInteger(x * Log2E);
        double r = x - k * Ln2High - k * Ln2Low;
        int half = (int)k / 2;
        return ExpTaylor(r) * PowerOfTwo(half) * PowerOfTwo((int)k - half);
    }

    /// <summary>
    /// cos and sin of the angle (pi/2) <paramref name="quarterTurns"/>, from + and * alone (like <see cref="Exp"/>).
    /// With quarterTurns = q + f, q = round(quarterTurns), r = f pi/2 in [-pi/4, pi/4]: (cos, sin) of the angle is that
    /// of r turned by q quarter turns, i.e. (cos r, sin r), (-sin r, cos r), (-cos r, -sin r), (sin r, -cos r) for
    /// q mod 4 = 0..3; cos r and sin r by their Taylor series to r^16 and r^15 (remainders below 5e-17).
    /// </summary>
    public static void TurnCosSin(double quarterTurns, out double cos, out double sin)
    {
        double q = RoundToInteger(quarterTurns), r = (quarterTurns - q) * HalfPi;
        double cosR = CosTaylor(r), sinR = SinTaylor(r);
        // the four cases as selections (a switch becomes a jump table on a GPU, divergent across a warp's threads):
        // odd q swaps cos r and sin r, q = 1, 2 negates the cosine, q = 2, 3 the sine
        long quadrant = (long)q & 3;
        bool swap = (quadrant & 1) != 0;
        double c = swap ? sinR : cosR, s = swap ? cosR : sinR;
        cos = quadrant == 1 || quadrant == 2 ? -c : c;
        sin = quadrant >= 2 ? -s : s;
    }

    /// <summary>
    /// x rounded to the nearest integer (ties to even), for |x| &lt;= 2^51: adding 1.5 2^52 leaves no bits below the unit,
    /// so the sum's rounding does the work, and subtracting it back is exact. Two adds where Math.Round and Math.Floor
    /// become branches on the exponent bits on a GPU.
    /// </summary>
    private static double RoundToInteger(double x) => x + RoundingShift - RoundingShift;

    /// <summary>2^k for -1022 &lt;= k &lt;= 1023, from its bits: biased exponent k + 1023, mantissa 0.</summary>
    private static double PowerOfTwo(int k) => BitConverter.Int64BitsToDouble((long)(k + 1023) << 52);

    /// <summary>e^r = sum r^j / j!, j = 0..13, by Horner's rule.</summary>
    private static double ExpTaylor(double r)
    {
        double p = 1.0 / 6227020800;
        p = 1.0 / 479001600 + r * p;
        p = 1.0 / 39916800 + r * p;
        p = 1.0 / 3628800 + r * p;
        p = 1.0 / 362880 + r * p;
        p = 1.0 / 40320 + r * p;
        p = 1.0 / 5040 + r * p;
        p = 1.0 / 720 + r * p;
        p = 1.0 / 120 + r * p;
        p = 1.0 / 24 + r * p;
        p = 1.0 / 6 + r * p;
        p = 0.5 + r * p;
        p = 1 + r * p;
        return 1 + r * p;
    }

    /// <summary>cos r = sum (-1)^j r^2j / (2j)!, j = 0..8, by Horner's rule in s = r^2.</summary>
    private static double CosTaylor(double r)
    {
        double s = r * r;
        double p = 1.0 / 20922789888000;
        p = -1.0 / 87178291200 + s * p;
        p = 1.0 / 479001600 + s * p;
        p = -1.0 / 3628800 + s * p;
        p = 1.0 / 40320 + s * p;
        p = -1.0 / 720 + s * p;
        p = 1.0 / 24 + s * p;
        p = -0.5 + s * p;
        return 1 + s * p;
    }

    /// <summary>sin r = sum (-1)^j r^(2j+1) / (2j+1)!, j = 0..7, by Horner's rule in s = r^2.</summary>
    private static double SinTaylor(double r)
    {
        double s = r * r;
        double p = -1.0 / 1307674368000;
        p = 1.0 / 6227020800 + s * p;
        p = -1.0 / 39916800 + s * p;
        p = 1.0 / 362880 + s * p;
        p = -1.0 / 5040 + s * p;
        p = 1.0 / 120 + s * p;
        p = -1.0 / 6 + s * p;
        return r + r * s * p;
    }

    /// <summary>Bbar = (z - 1) / A with z = exp(dt A) given as (<paramref name="zRe"/>, <paramref name="zIm"/>).</summary>
    public static void BBar(double zRe, double zIm, double aRe, double aIm, out double re, out double im) =>
        Divide(zRe - 1, zIm, aRe, aIm, out re, out im);

    /// <summary>dBbar/dA = (dt z - Bbar) / A.</summary>
    public static void BBarDerivative(double dt, double zRe, double zIm, double bRe, double bIm, double aRe, double aIm,
        out double re, out double im) =>
        Divide(dt * zRe - bRe, dt * zIm - bIm, aRe, aIm, out re, out im);

    /// <summary>(x + i y) / (a + i b).</summary>
    public static void Divide(double x, double y, double a, double b, out double re, out double im)
    {
        double norm = a * a + b * b;
        re = (x * a + y * b) / norm;
        im = (y * a - x * b) / norm;
    }

    /// <summary>(a + i b)(c + i d), real part.</summary>
    public static double MulRe(double a, double b, double c, double d) => a * c - b * d;

    /// <summary>(a + i b)(c + i d), imaginary part.</summary>
    public static double MulIm(double a, double b, double c, double d) => a * d + b * c;
}
