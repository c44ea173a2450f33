using BiGS.Native.Autograd;
using BiGS.Native.Tensors;

namespace BiGS.Native.Nn;

/// <summary>(x - mean)/sqrt(var + eps) * weight + bias over the last dim (biased variance, eps inside the root).</summary>
public sealed class LayerNorm : Module
{
    /// <summary>Creates the layer with weight 1 and bias 0.</summary>
    public LayerNorm(int size, float eps)
    {
        Eps = eps;
        Weight = AddParameter("weight", Tensor.Ones(size));
        Bias = AddParameter("bias", Tensor.Zeros(size));
    }

    /// <summary>Epsilon added to the variance.</summary>
    public float Eps { get; }

    /// <summary>Scale (size), multiplying the normalised values; Flax: "scale"; starts at 1.</summary>
    public Parameter Weight { get; }

    /// <summary>Shift (size), added after the scale; Flax: "bias"; starts at 0.</summary>
    public Parameter Bias { get; }

    /// <summary>Normalises x (..., size).</summary>
    public Variable Forward(Variable x) => Ops.LayerNorm(x, Weight, Bias, Eps);
}
