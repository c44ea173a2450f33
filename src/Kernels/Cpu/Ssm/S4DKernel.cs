using System.Numerics;
using BiGS.Native.Kernels.Ssm;

namespace BiGS.Native.Kernels.Cpu.Ssm;

/// <summary>
/// The S4D convolution kernel: a Vandermonde product of the discretised diagonal SSM
/// (see <c>S4DDiscretization</c> for A, Abar, Bbar, C):
/// <code>
///   K[l] = Re( sum_n C_n Bbar_n Abar_n^l ),   l = 0..L-1
/// </code>
/// and its gradient with respect to A_re, A_im, C and log_step. All arithmetic is in double.
/// </summary>
public static class S4DKernel
{
    // Powers Abar^l are re-anchored with a direct exp(l dt A) this often (and computed in chunks this long).
    private const int AnchorInterval = 64;

    /// <summary>
    /// Writes K[0..length) into <paramref name="kernel"/> (exactly <paramref name="length"/> values).
    /// <paramref name="c"/> is (N, 2) row-major: [re, im] per state.
    /// </summary>
    public static void Generate(ReadOnlySpan<float> aRe, ReadOnlySpan<float> aIm, ReadOnlySpan<float> c,
                                float logStep, int length, Span<float> kernel)
    {
        var ssm = S4DDiscretization.From(aRe, aIm, c, logStep);
        if (length < 0 || kernel.Length != length)
            throw new ArgumentException($"kernel span has {kernel.Length} values for length {length}");

        Span<double> sums = stackalloc double[AnchorInterval];
        Span<Complex> powers = stackalloc Complex[AnchorInterval];
        for (int first = 0; first < length; first += AnchorInterval)
        {
            int count = Math.Min(AnchorInterval, length - first);
            sums.Clear();
            for (int n = 0; n < ssm.StateSize; n++)
            {
                // K[l] += Re( C_n Bbar_n Abar_n^l )
                Complex weight = ssm.C[n] * ssm.BBar[n];
                ssm.FillPowers(n, first, powers[..count]);
                for (int j = 0; j < count; j++)
                    sums[j] += (weight * powers[j]).Real;
            }
            for (int j = 0; j < count; j++)
                kernel[first + j] = (float)sums[j];
        }
    }

    /// <summary>
    /// Given dLoss/dK (<paramref name="dKernel"/>, length L), the gradients of A_re, A_im and C, written into the spans
    /// (added onto them with <paramref name="accumulate"/>: parameter gradients summed over passes), and of log_step.
    /// A_re gets zero where it is above the clip (min picks the constant).
    /// </summary>
    /// <remarks>
    /// Derivation. The loss depends on K through G = sum_l dK[l] K[l] = Re( sum_n C_n Bbar_n W_n ), with
    /// <code>
    ///   z_n = Abar_n,   W_n = sum_l dK[l] z_n^l,   V_n = sum_l dK[l] l z_n^l          (complex)
    /// </code>
    /// For a holomorphic f(w), d Re f / d Re w = Re f'(w) and d Re f / d Im w = -Im f'(w). So:
    /// <code>
    ///   dG/dC_n     = Bbar_n W_n                                        -> dC = (Re, -Im)
    ///   dz^l/dA     = l z^(l-1) dt z = dt l z^l
    ///   dBbar/dA    = (dt z - Bbar) / A                                 (quotient rule on (z - 1) / A)
    ///   dG/dA_n     = C_n ( dBbar/dA W_n + Bbar_n dt V_n )              -> dA_re = Re, dA_im = -Im
    ///   dz^l/ddt    = l A z^l,   dBbar/ddt = z
    ///   dG/ddt      = Re sum_n C_n ( z_n W_n + Bbar_n A_n V_n )
    ///   dG/dlog_step = dt dG/ddt                                       (dt = exp(log_step))
    /// </code>
    /// </remarks>
    public static void Backward(ReadOnlySpan<float> aRe, ReadOnlySpan<float> aIm, ReadOnlySpan<float> c, float logStep,
                                ReadOnlySpan<float> dKernel, Span<float> dARe, Span<float> dAIm, Span<float> dC,
                                out float dLogStep, bool accumulate = false)
    {
        var ssm = S4DDiscretization.From(aRe, aIm, c, logStep);
        if (dARe.Length != aRe.Length || dAIm.Length != aIm.Length || dC.Length != c.Length)
            throw new ArgumentException(
                $"gradient spans must match the parameters: dA_re={dARe.Length} (N={aRe.Length}), " +
                $"dA_im={dAIm.Length}, dC={dC.Length} (N x 2 = {c.Length})");

        double dt = ssm.Step;
        double dStep = 0;
        Span<Complex> powers = stackalloc Complex[AnchorInterval];
        for (int n = 0; n < ssm.StateSize; n++)
        {
            (Complex w, Complex v) = PowerSums(ssm, n, dKernel, powers);
            Complex a = ssm.A[n], z = ssm.ABar[n], bBar = ssm.BBar[n], cn = ssm.C[n];

            // dG/dC_n = Bbar_n W_n
            Complex dCn = bBar * w;
            Store(dC, 2 * n, dCn.Real, accumulate);
            Store(dC, 2 * n + 1, -dCn.Imaginary, accumulate);

            // dG/dA_n = C_n ( (dt z - Bbar) / A W_n + Bbar_n dt V_n )
            S4DMath.BBarDerivative(dt, z.Real, z.Imaginary, bBar.Real, bBar.Imaginary, a.Real, a.Imaginary, out double dbRe, out double dbIm);
            var dBBarDA = new Complex(dbRe, dbIm);
            Complex dA = cn * (dBBarDA * w + bBar * dt * v);
            Store(dARe, n, S4DDiscretization.IsClipped(aRe[n]) ? 0.0 : dA.Real, accumulate);
            Store(dAIm, n, -dA.Imaginary, accumulate);

            // dG/ddt += Re C_n ( z_n W_n + Bbar_n A_n V_n )
            dStep += (cn * (z * w + bBar * a * v)).Real;
        }
        dLogStep = (float)(dt * dStep);
    }

    // gradient[i] = value, or gradient[i] += value when accumulating.
    private static void Store(Span<float> gradient, int i, double value, bool accumulate) =>
        gradient[i] = accumulate ? gradient[i] + (float)value : (float)value;

    // W_n = sum_l dK[l] z^l and V_n = sum_l dK[l] l z^l.
    private static (Complex W, Complex V) PowerSums(S4DDiscretization ssm, int n, ReadOnlySpan<float> dKernel, Span<Complex> powers)
    {
        Complex w = Complex.Zero, v = Complex.Zero;
        for (int first = 0; first < dKernel.Length; first += AnchorInterval)
        {
            int count = Math.Min(AnchorInterval, dKernel.Length - first);
            ssm.FillPowers(n, first, powers[..count]);
            for (int j = 0; j < count; j++)
            {
                double g = dKernel[first + j];
                w += g * powers[j];
                v += g * (first + j) * powers[j];
            }
        }
        return (w, v);
    }
}
