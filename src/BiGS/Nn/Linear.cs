using BiGS.Native.Autograd;
using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Tensors;

namespace BiGS.Native.Nn;

/// <summary>y = x W^T + b, with W stored (out, in) as in PyTorch (the transpose of a Flax Dense kernel).</summary>
public sealed class Linear : Module
{
    /// <summary>Creates the layer with W ~ Normal(0, initStd) and b = 0.</summary>
    public Linear(int inFeatures, int outFeatures, float initStd, Rng rng, bool bias = true)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = AddParameter("weight", Tensor.RandomNormal(rng, 0f, initStd, outFeatures, inFeatures));
        Bias = bias ? AddParameter("bias", Tensor.Zeros(outFeatures)) : null;
    }

    /// <summary>Input width: the size of x's last dimension.</summary>
    public int InFeatures { get; }

    /// <summary>Output width: the size of the result's last dimension.</summary>
    public int OutFeatures { get; }

    /// <summary>W (out, in).</summary>
    public Parameter Weight { get; }

    /// <summary>b (out), or null for a layer built without bias.</summary>
    public Parameter? Bias { get; }

    /// <summary>Applies the layer to x (..., in).</summary>
    public Variable Forward(Variable x) => Ops.Linear(x, Weight, Bias);

    /// <summary>x W^T + b + residual, the residual added as the product is stored (one pass fewer than an Add).</summary>
    public Variable ForwardResidual(Variable x, Variable residual) =>
        Bias is null ? Ops.Add(residual, Forward(x)) : Ops.LinearResidual(x, Weight, Bias, residual);

    /// <summary>(x W^T + b) * <paramref name="gate"/>, the product fused into this layer's GEMM (<see cref="Ops.LinearTimes"/>).</summary>
    public Variable ForwardTimes(Variable x, Variable gate) =>
        Bias is null ? Ops.Mul(Forward(x), gate) : Ops.LinearTimes(x, Weight, Bias, gate);

    /// <summary>
    /// gelu(x W^T + b) * gelu(<paramref name="gate"/>(<paramref name="gateInput"/>)), the gate product fused into this
    /// layer's GEMM and the two activations' backward into one pass (<see cref="Ops.GatedLinearGelu"/>).
    /// </summary>
    public Variable ForwardGeluGated(Variable x, Linear gate, Variable gateInput, GeluKind kind) =>
        Bias is null || gate.Bias is null
            ? Ops.Mul(ForwardGelu(x, kind), gate.ForwardGelu(gateInput, kind))
            : Ops.GatedLinearGelu(x, Weight, Bias, gateInput, gate.Weight, gate.Bias, kind);

    /// <summary>gelu(x W^T + b) with the bias and activation fused into the GEMM.</summary>
    public Variable ForwardGelu(Variable x, GeluKind kind) =>
        Bias is null ? Ops.Gelu(Forward(x), kind) : Ops.LinearGelu(x, Weight, Bias, kind);
}
