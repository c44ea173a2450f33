using BiGS.Native.Autograd;
using BiGS.Native.Nn;
using BiGS.Native.Tensors;

namespace BiGS.Native.Ssm;

/// <summary>
/// The parameters that define one S4D convolution kernel: a diagonal state matrix A (N complex values stored as
/// A_re, A_im), an output projection C (N complex, stored (N,2)) and the step size dt = exp(log_step).
/// Named "kernel" inside <see cref="S4D"/>, as in the PyTorch port.
/// </summary>
public sealed class S4DKernelParameters : Module
{
    /// <summary>Initialises A by <paramref name="scaling"/>, C ~ Normal(0, sqrt(1/2)) per part, log_step ~ U(log 0.01, log 1).</summary>
    public S4DKernelParameters(int stateSize, string scaling, Rng rng)
    {
        var (aRe, aIm) = SsmInitialization.StateMatrix(scaling, stateSize);
        ARe = AddParameter("A_re", Tensor.FromArray(aRe.Select(v => (float)v).ToArray()));
        AIm = AddParameter("A_im", Tensor.FromArray(aIm.Select(v => (float)v).ToArray()));
        C = AddParameter("C", Tensor.RandomNormal(rng, 0f, MathF.Sqrt(0.5f), stateSize, 2));
        LogStep = AddParameter("log_step", Tensor.RandomUniform(rng, MathF.Log(0.01f), 0f, 1));
    }

    /// <summary>Real parts of A (clipped to at most -1e-4 when used).</summary>
    public Parameter ARe { get; }

    /// <summary>Imaginary parts of A (N): each mode's oscillation frequency, in radians per unit of time (scaled by dt per step).</summary>
    public Parameter AIm { get; }

    /// <summary>C as (N, 2): [real, imaginary].</summary>
    public Parameter C { get; }

    /// <summary>log dt (1).</summary>
    public Parameter LogStep { get; }

    /// <summary>The kernel K (length) without recording gradients (for plots and inspection).</summary>
    public Tensor Kernel(int length) => Tensor.SsmKernel(ARe.Value, AIm.Value, C.Value, LogStep.Value, length);
}

/// <summary>
/// An S4D state-space layer shared by all channels: y = causal_conv(u, K) + D u along the sequence, with K from
/// <see cref="S4DKernelParameters"/>. Equivalent to running the recurrence x_k = Abar x_{k-1} + Bbar u_k,
/// y_k = Re(C x_k) + D u_k over time; the convolution form computes all steps at once by FFT. A right-to-left layer
/// runs the recurrence from the last step back to the first: y = flip(causal_conv(flip(u), K)) + D u.
/// </summary>
public sealed class S4D : Module
{
    /// <summary>Creates the layer with D = 1, running over the sequence left to right or, with <paramref name="rightToLeft"/>, right to left.</summary>
    public S4D(int stateSize, string scaling, Rng rng, bool rightToLeft = false)
    {
        Kernel = AddModule("kernel", new S4DKernelParameters(stateSize, scaling, rng));
        D = AddParameter("D", Tensor.Ones(1));
        RightToLeft = rightToLeft;
    }

    /// <summary>True when the layer runs from the end of the sequence (BiGS's bs4).</summary>
    public bool RightToLeft { get; }

    /// <summary>The kernel's parameters.</summary>
    public S4DKernelParameters Kernel { get; }

    /// <summary>The skip weight D (shape (1), initialised to 1): y = K * u + D u.</summary>
    public Parameter D { get; }

    /// <summary>Applies the SSM to u (B, L, H) along L.</summary>
    public Variable Forward(Variable u) => Ops.S4D(u, Kernel.ARe, Kernel.AIm, Kernel.C, Kernel.LogStep, D, RightToLeft);
}
