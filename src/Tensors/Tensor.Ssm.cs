namespace BiGS.Native.Tensors;

public sealed partial class Tensor
{
    /// <summary>The S4D convolution kernel K (L) from A_re, A_im (N), C (N,2) and log_step (1).</summary>
    public static Tensor SsmKernel(Tensor aRe, Tensor aIm, Tensor c, Tensor logStep, int length)
    {
        CheckSsmParameters(aRe, aIm, c, logStep);
        var kernel = Empty(DType.Float32, aRe.Device, length);
        aRe.Backend.SsmKernel(aRe.Contiguous(), aIm.Contiguous(), c.Contiguous(), logStep.Contiguous(), kernel);
        return kernel;
    }

    /// <summary>Gradients (dA_re, dA_im, dC, dlog_step) of the S4D kernel from dK, as new tensors.</summary>
    public static (Tensor DARe, Tensor DAIm, Tensor DC, Tensor DLogStep) SsmKernelBackward(
        Tensor aRe, Tensor aIm, Tensor c, Tensor logStep, Tensor dKernel)
    {
        var dARe = Empty(DType.Float32, aRe.Device, aRe.shape);
        var dAIm = Empty(DType.Float32, aRe.Device, aIm.shape);
        var dC = Empty(DType.Float32, aRe.Device, c.shape);
        var dLogStep = Empty(DType.Float32, aRe.Device, logStep.shape);
        SsmKernelBackward(aRe, aIm, c, logStep, dKernel, dARe, dAIm, dC, dLogStep, accumulate: false);
        return (dARe, dAIm, dC, dLogStep);
    }

    /// <summary>
    /// Gradients of the S4D kernel from dK written into dA_re, dA_im, dC and dlog_step (contiguous, shaped like their
    /// parameters), or added onto them with <paramref name="accumulate"/>: parameter gradients straight into Grad.
    /// </summary>
    public static void SsmKernelBackward(Tensor aRe, Tensor aIm, Tensor c, Tensor logStep, Tensor dKernel,
        Tensor dARe, Tensor dAIm, Tensor dC, Tensor dLogStep, bool accumulate)
    {
        CheckSsmParameters(aRe, aIm, c, logStep);
        RequireGradientTargets("SsmKernel backward", (aRe, dARe), (aIm, dAIm), (c, dC), (logStep, dLogStep));
        aRe.Backend.SsmKernelBackward(aRe.Contiguous(), aIm.Contiguous(), c.Contiguous(), logStep.Contiguous(), dKernel.Contiguous(),
            dARe, dAIm, dC, dLogStep, accumulate);
    }

    /// <summary>
    /// y = causal_conv(u, K) + D u along the sequence axis of u (B, L, H): y[t] = sum_{s &lt;= t} K[t - s] u[s] + D u[t].
    /// With <paramref name="rightToLeft"/> the convolution runs from the end of the sequence (anti-causal),
    /// y[t] = sum_{s &gt;= t} K[s - t] u[s] + D u[t] = flip(causal_conv(flip(u), K)) + D u, with no flipped copies.
    /// </summary>
    public static Tensor SsmConvolution(Tensor u, Tensor kernel, Tensor d, bool rightToLeft = false)
    {
        var (y, kernelSpectrum) = SsmConvolutionForBackward(u, kernel, d, rightToLeft);
        kernelSpectrum?.Dispose();
        return y;
    }

    /// <summary>
    /// <see cref="SsmConvolution"/>, also returning what its backward may reuse (the spectrum of K + D delta on a GPU;
    /// null where the backend keeps nothing): pass it to <see cref="SsmConvolutionBackward(Tensor, Tensor, Tensor, Tensor, Tensor, bool, bool, Tensor)"/>.
    /// </summary>
    public static (Tensor Y, Tensor? KernelSpectrum) SsmConvolutionForBackward(Tensor u, Tensor kernel, Tensor d, bool rightToLeft = false)
    {
        CheckConvolution(u, kernel, d);
        var y = Empty(DType.Float32, u.Device, u.shape);
        var kernelSpectrum = u.Backend.SsmConvolution(u.Contiguous(), kernel.Contiguous(), d.Contiguous(), y, rightToLeft);
        return (y, kernelSpectrum);
    }

    /// <summary>Gradients (du, dK, dD) of <see cref="SsmConvolution"/>, as new tensors.</summary>
    public static (Tensor DU, Tensor DKernel, Tensor DD) SsmConvolutionBackward(Tensor u, Tensor kernel, Tensor d, Tensor dy, bool rightToLeft = false)
    {
        var dD = Empty(DType.Float32, d.Device, d.shape);
        var (du, dKernel) = SsmConvolutionBackward(u, kernel, d, dy, dD, accumulateSkip: false, rightToLeft);
        return (du, dKernel, dD);
    }

    /// <summary>
    /// Gradients of <see cref="SsmConvolution"/>: du and dK as new tensors, and dD written into <paramref name="dD"/>
    /// (contiguous, shaped like D), or added onto it with <paramref name="accumulateSkip"/>: D's gradient straight into
    /// its Grad.
    /// </summary>
    public static (Tensor DU, Tensor DKernel) SsmConvolutionBackward(Tensor u, Tensor kernel, Tensor d, Tensor dy, Tensor dD, bool accumulateSkip,
        bool rightToLeft = false, Tensor? kernelSpectrum = null)
    {
        CheckConvolution(u, kernel, d);
        RequireSameShape("SsmConvolution backward", u, dy);
        RequireGradientTargets("SsmConvolution backward", (d, dD));
        var du = Empty(DType.Float32, u.Device, u.shape);
        var dKernel = Empty(DType.Float32, u.Device, kernel.shape);
        u.Backend.SsmConvolutionBackward(u.Contiguous(), kernel.Contiguous(), d.Contiguous(), dy.Contiguous(), du, dKernel, dD, accumulateSkip, rightToLeft,
            kernelSpectrum);
        return (du, dKernel);
    }

    private static void CheckSsmParameters(Tensor aRe, Tensor aIm, Tensor c, Tensor logStep)
    {
        int n = (int)aRe.Count;
        if (aRe.Rank != 1 || aIm.Rank != 1 || aIm.Size(0) != n || c.Count != 2L * n || logStep.Count != 1)
            throw new ArgumentException(
                $"SsmKernel: expected A_re (N), A_im (N), C (N,2), log_step (1) but got {aRe.ShapeString}, {aIm.ShapeString}, {c.ShapeString}, {logStep.ShapeString}");
    }

    private static void CheckConvolution(Tensor u, Tensor kernel, Tensor d)
    {
        if (u.Rank != 3 || kernel.Rank != 1 || kernel.Size(0) != u.Size(1) || d.Count != 1)
            throw new ArgumentException(
                $"SsmConvolution: expected u (B,L,H), K (L), D (1) but got {u.ShapeString}, {kernel.ShapeString}, {d.ShapeString}");
    }
}
