namespace BiGS.Native.Kernels.Ssm;

/// <summary>
/// The S4D formulas shared by the CPU kernels and the GPU kernels (which ILGPU compiles from these same methods), so
/// both paths evaluate one derivation. Scalar double arithmetic on (re, im) pairs; per mode n, with dt = exp(log_step):
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

    private const double TwoPi = 2 * Math.PI;

    /// <summary>min(A_re, -1e-4).</summary>
    public static double ClippedRealPart(float aRe) => aRe < MaxRealPart ? aRe : MaxRealPart;

    /// <summary>True where A_re is above the clip, so min() picks the constant and A_re gets no gradient.</summary>
    public static bool IsClipped(float aRe) => aRe > MaxRealPart;

    /// <summary>
    /// z^l = exp(l dt A) for dt A = (<paramref name="stepARe"/>, <paramref name="stepAIm"/>). The phase l dt A_im reaches
    /// 1e4..1e5 rad for long kernels; its whole turns are removed before the sine and cosine (which then see an angle
    /// in [-pi, pi]): turns = l dt A_im / (2 pi), angle = 2 pi (turns - round(turns)). In double, l dt A_im keeps ~1e-11
    /// rad of accuracy at l = 8192, and no device's trigonometry has to reduce a large argument itself.
    /// </summary>
    public static void Power(double stepARe, double stepAIm, int l, out double re, out double im)
    {
        double turns = l * (stepAIm / TwoPi);
        double angle = TwoPi * (turns - Math.Floor(turns + 0.5));
        double magnitude = Math.Exp(l * stepARe);
        re = magnitude * Math.Cos(angle);
        im = magnitude * Math.Sin(angle);
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
