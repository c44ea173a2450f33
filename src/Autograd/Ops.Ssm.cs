using BiGS.Native.Tensors;

namespace BiGS.Native.Autograd;

public static partial class Ops
{
    /// <summary>
    /// One S4D SSM applied along the sequence axis of u (B, L, H), as a single differentiable op:
    /// <code>
    /// A    = min(A_re, -1e-4) + i A_im,   dt = exp(log_step)
    /// K[l] = Re( sum_n C_n (exp(dt A_n) - 1)/A_n exp(l dt A_n) )      (ZOH + Vandermonde, l &lt; L)
    /// y    = causal_conv(u, K) + D u                                    (by FFT)
    /// </code>
    /// With <paramref name="rightToLeft"/> the SSM runs from the end of the sequence: y = flip(causal_conv(flip(u), K)) + D u,
    /// computed as such by the convolution kernels (no flipped copies of u, y or their gradients).
    /// Backward, by the chain rule through K: the convolution's backward gives du, dK and dD; the kernel's
    /// analytic backward maps dK to dA_re, dA_im, dC and dlog_step. The five parameter gradients are written straight
    /// into the parameters' Grad (added onto a gradient already there) by the kernels that compute them.
    /// </summary>
    public static Variable S4D(Variable u, Variable aRe, Variable aIm, Variable c, Variable logStep, Variable d, bool rightToLeft = false)
    {
        int length = u.Value.Size(1);
        var kernel = Tensor.SsmKernel(aRe.Value, aIm.Value, c.Value, logStep.Value, length);
        // on a GPU a recorded forward also hands back K''s spectrum, which the backward reads instead of transforming K again
        var (y, kernelSpectrum) = Recording(u, aRe, aIm, c, logStep, d)
            ? Tensor.SsmConvolutionForBackward(u.Value, kernel, d.Value, rightToLeft)
            : (Tensor.SsmConvolution(u.Value, kernel, d.Value, rightToLeft), null);
        return Record("S4D", y, [u, aRe, aIm, c, logStep, d], dy =>
        {
            // du = corr(dy, K) + D dy,  dK[l] = sum dy[t] u[t-l],  dD = sum dy u
            var dD = GradientTarget(d, out float skipBeta);
            var (du, dK) = Tensor.SsmConvolutionBackward(u.Value, kernel, d.Value, dy, dD, accumulateSkip: skipBeta != 0f, rightToLeft, kernelSpectrum);
            // dK -> dA_re, dA_im, dC, dlog_step (one kernel, so one beta for the four)
            Variable[] kernelParameters = [aRe, aIm, c, logStep];
            var targets = GradientTargets(kernelParameters, out float beta);
            Tensor.SsmKernelBackward(aRe.Value, aIm.Value, c.Value, logStep.Value, dK, targets[0], targets[1], targets[2], targets[3], accumulate: beta != 0f);
            return [du, .. kernelParameters.Select((p, i) => HandOn(p, targets[i])), HandOn(d, dD)];
        }, kernelSpectrum is null ? [kernel] : [kernel, kernelSpectrum]);
    }
}
