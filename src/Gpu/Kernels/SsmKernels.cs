using BiGS.Native.Kernels.Ssm;
using ILGPU;
using ILGPU.Algorithms;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// The S4D kernel K and its backward (spec BIGS.md 2.3), evaluated with the same formulas as the CPU
/// (<see cref="S4DMath"/>, in double). K[l] = Re( sum_n C_n Bbar_n z_n^l ), z_n = exp(dt A_n), dt = exp(log_step).
/// </summary>
public static class SsmKernels
{
    /// <summary>
    /// K[l] for one l per group: thread t adds the terms of modes t, t + group, ..., and the group sums the threads'
    /// totals in a fixed tree (<see cref="GroupReduce"/>). One thread per l would leave a GPU nearly idle (L threads, each
    /// evaluating every mode's exponentials in turn); this runs L x modes of them.
    /// </summary>
    public static void Generate(ArrayView<float> aRe, ArrayView<float> aIm, ArrayView<float> c, ArrayView<float> logStep,
        int modes, ArrayView<float> kernel)
    {
        int l = Grid.IdxX;
        double dt = S4DMath.Exp(logStep[0]);
        double total = 0;
        for (int n = Group.IdxX; n < modes; n += Group.DimX)
        {
            var mode = Mode.Of(dt, aRe[n], aIm[n], c[2 * n], c[2 * n + 1]);
            S4DMath.Power(dt * mode.ARe, dt * mode.AIm, l, out double zlRe, out double zlIm);
            // Re( (C Bbar) z^l )
            total += S4DMath.MulRe(mode.CbRe, mode.CbIm, zlRe, zlIm);
        }
        total = GroupReduce.Sum(total);
        if (Group.IdxX == 0) kernel[l] = (float)total;
    }

    /// <summary>
    /// Backward, one group per mode n. With W = sum_l dK[l] z^l, V = sum_l dK[l] l z^l (summed over the group):
    /// <code>
    ///   dC = conj(Bbar W)
    ///   f'(A) = C (dBbar/dA W + Bbar dt V),   dA_re = Re f'(A) (0 where clipped), dA_im = -Im f'(A)
    ///   stepParts[n] = Re C (z W + Bbar A V)         (dlog_step = dt sum_n stepParts[n], see StepGradient)
    /// </code>
    /// dC, dA_re and dA_im are written, or added onto the old values when <paramref name="accumulate"/> is 1.
    /// </summary>
    public static void Backward(ArrayView<float> aRe, ArrayView<float> aIm, ArrayView<float> c, ArrayView<float> logStep,
        ArrayView<float> dKernel, int accumulate, ArrayView<float> dARe, ArrayView<float> dAIm, ArrayView<float> dC, ArrayView<float> stepParts)
    {
        int n = Grid.IdxX, length = dKernel.IntLength;
        double dt = S4DMath.Exp(logStep[0]);
        var mode = Mode.Of(dt, aRe[n], aIm[n], c[2 * n], c[2 * n + 1]);
        double wRe = 0, wIm = 0, vRe = 0, vIm = 0;
        for (int l = Group.IdxX; l < length; l += Group.DimX)
        {
            S4DMath.Power(dt * mode.ARe, dt * mode.AIm, l, out double zlRe, out double zlIm);
            double g = dKernel[l];
            wRe += g * zlRe;
            wIm += g * zlIm;
            vRe += g * l * zlRe;
            vIm += g * l * zlIm;
        }
        wRe = GroupReduce.Sum(wRe);
        wIm = GroupReduce.Sum(wIm);
        vRe = GroupReduce.Sum(vRe);
        vIm = GroupReduce.Sum(vIm);
        if (Group.IdxX != 0) return;

        double cRe = c[2 * n], cIm = c[2 * n + 1];
        Store(dC, 2 * n, S4DMath.MulRe(mode.BRe, mode.BIm, wRe, wIm), accumulate);
        Store(dC, 2 * n + 1, -S4DMath.MulIm(mode.BRe, mode.BIm, wRe, wIm), accumulate);

        S4DMath.BBarDerivative(dt, mode.ZRe, mode.ZIm, mode.BRe, mode.BIm, mode.ARe, mode.AIm, out double dbRe, out double dbIm);
        double innerRe = S4DMath.MulRe(dbRe, dbIm, wRe, wIm) + dt * S4DMath.MulRe(mode.BRe, mode.BIm, vRe, vIm);
        double innerIm = S4DMath.MulIm(dbRe, dbIm, wRe, wIm) + dt * S4DMath.MulIm(mode.BRe, mode.BIm, vRe, vIm);
        Store(dARe, n, S4DMath.IsClipped(aRe[n]) ? 0.0 : S4DMath.MulRe(cRe, cIm, innerRe, innerIm), accumulate);
        Store(dAIm, n, -S4DMath.MulIm(cRe, cIm, innerRe, innerIm), accumulate);

        double baRe = S4DMath.MulRe(mode.BRe, mode.BIm, mode.ARe, mode.AIm), baIm = S4DMath.MulIm(mode.BRe, mode.BIm, mode.ARe, mode.AIm);
        double tRe = S4DMath.MulRe(mode.ZRe, mode.ZIm, wRe, wIm) + S4DMath.MulRe(baRe, baIm, vRe, vIm);
        double tIm = S4DMath.MulIm(mode.ZRe, mode.ZIm, wRe, wIm) + S4DMath.MulIm(baRe, baIm, vRe, vIm);
        stepParts[n] = (float)S4DMath.MulRe(cRe, cIm, tRe, tIm);
    }

    /// <summary>
    /// One group: dlog_step[0] = dt sum_n stepParts[n] (d/dlog_step = dt d/ddt), or += with <paramref name="accumulate"/> 1.
    /// </summary>
    public static void StepGradient(ArrayView<float> stepParts, ArrayView<float> logStep, int accumulate, ArrayView<float> dLogStep)
    {
        double total = 0;
        for (int n = Group.IdxX; n < stepParts.IntLength; n += Group.DimX) total += stepParts[n];
        total = GroupReduce.Sum(total);
        if (Group.IdxX == 0) Store(dLogStep, 0, S4DMath.Exp(logStep[0]) * total, accumulate);
    }

    /// <summary>gradient[i] = value, or gradient[i] += value when <paramref name="accumulate"/> is 1 (onto a parameter's Grad).</summary>
    private static void Store(ArrayView<float> gradient, int i, double value, int accumulate) =>
        gradient[i] = accumulate != 0 ? gradient[i] + (float)value : (float)value;

    /// <summary>One mode's discretisation: A (clipped), z = exp(dt A), Bbar and C Bbar.</summary>
    private readonly struct Mode
    {
        public readonly double ARe, AIm, ZRe, ZIm, BRe, BIm, CbRe, CbIm;

        private Mode(double aRe, double aIm, double zRe, double zIm, double bRe, double bIm, double cRe, double cIm)
        {
            ARe = aRe; AIm = aIm; ZRe = zRe; ZIm = zIm; BRe = bRe; BIm = bIm;
            CbRe = S4DMath.MulRe(cRe, cIm, bRe, bIm);
            CbIm = S4DMath.MulIm(cRe, cIm, bRe, bIm);
        }

        public static Mode Of(double dt, float aRe, float aIm, float cRe, float cIm)
        {
            double re = S4DMath.ClippedRealPart(aRe);
            S4DMath.Power(dt * re, dt * aIm, 1, out double zRe, out double zIm);
            S4DMath.BBar(zRe, zIm, re, aIm, out double bRe, out double bIm);
            return new Mode(re, aIm, zRe, zIm, bRe, bIm, cRe, cIm);
        }
    }
}
