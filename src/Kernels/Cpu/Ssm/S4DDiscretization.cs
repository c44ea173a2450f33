using System.Numerics;
using BiGS.Native.Kernels.Ssm;

namespace BiGS.Native.Kernels.Cpu.Ssm;

/// <summary>
/// One S4D SSM (diagonal state of size N) discretised with zero-order hold, in double precision:
/// <code>
///   A_n    = min(A_re_n, -1e-4) + i A_im_n       (the clip keeps the SSM stable)
///   C_n    = C[n,0] + i C[n,1]
///   dt     = exp(log_step)
///   Abar_n = exp(dt A_n)
///   Bbar_n = (exp(dt A_n) - 1) / A_n             (ZOH with B = 1)
/// </code>
/// </summary>
public sealed class S4DDiscretization
{
    /// <summary>Upper bound of Re(A): larger values of A_re are clipped to it.</summary>
    public const double MaxRealPart = S4DMath.MaxRealPart;

    private S4DDiscretization(int stateSize)
    {
        A = new Complex[stateSize];
        StepA = new Complex[stateSize];
        ABar = new Complex[stateSize];
        BBar = new Complex[stateSize];
        C = new Complex[stateSize];
    }

    /// <summary>State size N: the number of complex modes A_n.</summary>
    public int StateSize => A.Length;

    /// <summary>dt = exp(log_step).</summary>
    public double Step { get; private init; }

    /// <summary>A_n after the clip.</summary>
    public Complex[] A { get; }

    /// <summary>dt A_n.</summary>
    public Complex[] StepA { get; }

    /// <summary>Abar_n = exp(dt A_n).</summary>
    public Complex[] ABar { get; }

    /// <summary>Bbar_n = (exp(dt A_n) - 1) / A_n.</summary>
    public Complex[] BBar { get; }

    /// <summary>C_n as complex numbers.</summary>
    public Complex[] C { get; }

    /// <summary>Checks the parameter shapes (A_re, A_im: N; C: N x 2) and discretises.</summary>
    public static S4DDiscretization From(ReadOnlySpan<float> aRe, ReadOnlySpan<float> aIm, ReadOnlySpan<float> c, float logStep)
    {
        int n = aRe.Length;
        if (n < 1 || aIm.Length != n || c.Length != 2 * n)
            throw new ArgumentException(
                $"S4D parameters need A_re (N), A_im (N), C (N, 2) with N >= 1; got A_re={aRe.Length}, A_im={aIm.Length}, C={c.Length}");
        var ssm = new S4DDiscretization(n) { Step = S4DMath.Exp(logStep) };
        for (int i = 0; i < n; i++)
        {
            ssm.A[i] = new Complex(S4DMath.ClippedRealPart(aRe[i]), aIm[i]);
            ssm.StepA[i] = ssm.Step * ssm.A[i];
            ssm.ABar[i] = ssm.Power(i, 1);
            S4DMath.BBar(ssm.ABar[i].Real, ssm.ABar[i].Imaginary, ssm.A[i].Real, ssm.A[i].Imaginary, out double re, out double im);
            ssm.BBar[i] = new Complex(re, im);
            ssm.C[i] = new Complex(c[2 * i], c[2 * i + 1]);
        }
        return ssm;
    }

    /// <summary>True where A_re is above the clip, so min() picks the constant and A_re gets no gradient.</summary>
    public static bool IsClipped(float aRe) => S4DMath.IsClipped(aRe);

    /// <summary>Abar_n^l = exp(l dt A_n), evaluated directly (<see cref="S4DMath.Power"/>).</summary>
    public Complex Power(int n, int l)
    {
        S4DMath.Power(StepA[n].Real, StepA[n].Imaginary, l, out double re, out double im);
        return new Complex(re, im);
    }

    /// <summary>
    /// powers[j] = Abar_n^(first + j). The first power is exp((first) dt A_n) computed directly, the rest by
    /// repeated multiplication: re-anchoring every call keeps the rounding drift of long products bounded.
    /// </summary>
    public void FillPowers(int n, int first, Span<Complex> powers)
    {
        Complex power = Power(n, first);
        for (int j = 0; j < powers.Length; j++)
        {
            powers[j] = power;
            power *= ABar[n];
        }
    }
}
