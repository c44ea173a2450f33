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

    /// <summary>Gradients (dA_re, dA_im, dC, dlog_step) of the S4D kernel from dK.</summary>
    public static (Tensor DARe, Tensor DAIm, Tensor DC, Tensor DLogStep) SsmKernelBackward(
        Tensor aRe, Tensor aIm, Tensor c, Tensor logStep, Tensor dKernel)
    {
        var dARe = Empty(DType.Float32, aRe.Device, aRe.shape);
        var dAIm = Empty(DType.Float32, aRe.Device, aIm.shape);
        var dC = Empty(DType.Float32, aRe.Device, c.shape);
        var dLogStep = Empty(DType.Float32, aRe.Device, logStep.shape);
        aRe.Backend.SsmKernelBackward(aRe.Contiguous(), aIm.Contiguous(), c.Contiguous(), logStep.Contiguous(), dKernel.Contiguous(), dARe, dAIm, dC, dLogStep);
        return (dARe, dAIm, dC, dLogStep);
    }

    /// <summary>y = causal_conv(u, K) + D u along the sequence axis of u (B, L, H).</summary>
    public static Tensor SsmConvolution(Tensor u, Tensor kernel, Tensor d)
    {
        CheckConvolution(u, kernel, d);
        var y = Empty(DType.Float32, u.Device, u.shape);
        u.Backend.SsmConvolution(u.Contiguous(), kernel.Contiguous(), d.Contiguous(), y);
        return y;
    }

    /// <summary>Gradients (du, dK, dD) of <see cref="SsmConvolution"/>.</summary>
    public static (Tensor DU, Tensor DKernel, Tensor DD) SsmConvolutionBackward(Tensor u, Tensor kernel, Tensor d, Tensor dy)
    {
        CheckConvolution(u, kernel, d);
        RequireSameShape("SsmConvolution backward", u, dy);
        var du = Empty(DType.Float32, u.Device, u.shape);
        var dKernel = Empty(DType.Float32, u.Device, kernel.shape);
        var dD = Empty(DType.Float32, u.Device, 1);
        u.Backend.SsmConvolutionBackward(u.Contiguous(), kernel.Contiguous(), d.Contiguous(), dy.Contiguous(), du, dKernel, dD);
        return (du, dKernel, dD.Reshape(d.shape));
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
