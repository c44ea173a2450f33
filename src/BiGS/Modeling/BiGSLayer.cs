using BiGS.Native.Autograd;
using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Nn;
using BiGS.Native.Ssm;
using BiGS.Native.Tensors;

namespace BiGS.Native.Modeling;

/// <summary>
/// One bidirectional gated SSM layer (docs/BIGS.md 2.2). For x (B, L, d), with flip reversing the sequence axis:
/// <code>
/// v   = gelu(dv(x))                          gate branch (B, L, I)
/// u_f = gelu(du_forward(x))                  forward SSM input
/// u_b = gelu(du_backward(flip(x)))           backward SSM input: flip BEFORE the Dense
/// c_f = duc_forward(fs4(u_f))
/// c_b = flip(duc_backward(bs4(u_b)))         flip back AFTER the Dense
/// F(x) = do( gelu(dol(c_f * c_b)) * v )
/// </code>
/// Pre-norm: x + F(LayerNorm(x)); post-norm: LayerNorm(x + F(x)). gelu is the tanh approximation (Flax nn.gelu).
/// <para>
/// du_backward, gelu and duc_backward act on each position alone, so they commute with flip:
/// c_b = flip(duc_backward(bs4(flip(gelu(du_backward(x)))))) = duc_backward(flip(bs4(flip(u))))
/// with u = gelu(du_backward(x)), and flip(bs4(flip(u))) is bs4 run right to left. So bs4 is a right-to-left
/// <see cref="S4D"/> and nothing is flipped: no copy of a flipped tensor forward or backward, and the GEMMs read
/// contiguous rows.
/// </para>
/// </summary>
public sealed class BiGSLayer : Module
{
    private readonly bool preNorm;

    /// <summary>Creates the layer's LayerNorm, two SSMs and seven Dense maps.</summary>
    public BiGSLayer(BiGSConfig config, Rng rng)
    {
        preNorm = config.PreNorm;
        int d = config.HiddenSize, inner = config.IntermediateSize;
        float std = config.InitializerRange;
        LayerNorm = AddModule("LayerNorm", new LayerNorm(d, config.LayerNormEps));
        ForwardSsm = AddModule("fs4", new S4D(config.NumSsm, config.Scaling, rng));
        BackwardSsm = AddModule("bs4", new S4D(config.NumSsm, config.Scaling, rng, rightToLeft: true));
        Gate = AddModule("dv", new Linear(d, inner, std, rng));
        ForwardIn = AddModule("du_forward", new Linear(d, d, std, rng));
        BackwardIn = AddModule("du_backward", new Linear(d, d, std, rng));
        ForwardOut = AddModule("duc_forward", new Linear(d, d, std, rng));
        BackwardOut = AddModule("duc_backward", new Linear(d, d, std, rng));
        Mix = AddModule("dol", new Linear(d, inner, std, rng));
        Output = AddModule("do", new Linear(inner, d, std, rng));
    }

    /// <summary>LayerNorm over d: of the input before F (pre-norm) or of x + F(x) (post-norm).</summary>
    public LayerNorm LayerNorm { get; }

    /// <summary>fs4: the left-to-right SSM.</summary>
    public S4D ForwardSsm { get; }

    /// <summary>bs4: the right-to-left SSM.</summary>
    public S4D BackwardSsm { get; }

    /// <summary>dv (d -> I).</summary>
    public Linear Gate { get; }

    /// <summary>du_forward (d -> d).</summary>
    public Linear ForwardIn { get; }

    /// <summary>du_backward (d -> d).</summary>
    public Linear BackwardIn { get; }

    /// <summary>duc_forward (d -> d).</summary>
    public Linear ForwardOut { get; }

    /// <summary>duc_backward (d -> d).</summary>
    public Linear BackwardOut { get; }

    /// <summary>dol (d -> I).</summary>
    public Linear Mix { get; }

    /// <summary>do (I -> d).</summary>
    public Linear Output { get; }

    /// <summary>Applies the residual block to x (B, L, d).</summary>
    public Variable Forward(Variable x) =>
        preNorm ? GatedBidirectionalMixingPlus(LayerNorm.Forward(x), x) : LayerNorm.Forward(GatedBidirectionalMixingPlus(x, x));

    /// <summary>
    /// F(x) + residual, with F the gated bidirectional SSM mixing of docs/BIGS.md 2.2; the product c_f * c_b is fused
    /// into duc_backward's GEMM, the gate product gelu(dol(.)) * v into dol's, and the residual is added by the epilogue of
    /// F's last GEMM.
    /// </summary>
    private Variable GatedBidirectionalMixingPlus(Variable x, Variable residual)
    {
        var forward = ForwardOut.Forward(ForwardSsm.Forward(ForwardIn.ForwardGelu(x, GeluKind.Tanh)));
        var product = BackwardOut.ForwardTimes(BackwardSsm.Forward(BackwardIn.ForwardGelu(x, GeluKind.Tanh)), forward);
        var gated = Mix.ForwardGeluGated(product, Gate, x, GeluKind.Tanh);
        return Output.ForwardResidual(gated, residual);
    }
}
