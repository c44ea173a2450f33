using BiGS.Native.Autograd;
using BiGS.Native.Nn;
using BiGS.Native.Tensors;

namespace BiGS.Native.Modeling;

/// <summary>
/// Pools the sequence to one vector: p = tanh(dense(m)), where m is the mean over non-padding positions
/// (sum_t mask_t h_t / sum_t mask_t) or over all positions ("mean").
/// </summary>
public sealed class BiGSPooler : Module
{
    private readonly bool maskPadding;

    /// <summary>Creates the dense layer.</summary>
    public BiGSPooler(BiGSConfig config, Rng rng)
    {
        maskPadding = config.PoolerType == "non_padding_mean";
        Dense = AddModule("dense", new Linear(config.HiddenSize, config.HiddenSize, config.InitializerRange, rng));
    }

    /// <summary>The dense map (d -> d).</summary>
    public Linear Dense { get; }

    /// <summary>Pools h (B, L, d) with the attention mask (B, L) (all ones when null).</summary>
    public Variable Forward(Variable hidden, Tensor? attentionMask)
    {
        Variable mean;
        if (maskPadding && attentionMask != null)
        {
            var mask = ToFloatMask(attentionMask, hidden.Value.Device);
            var weights = new Variable(mask.Unsqueeze(-1));
            var counts = new Variable(mask.Sum(1, keepDim: true));
            mean = Ops.Div(Ops.Sum(Ops.Mul(hidden, weights), 1), counts);
        }
        else
        {
            mean = Ops.Mean(hidden, 1);
        }
        return Ops.Tanh(Dense.Forward(mean));
    }

    private static Tensor ToFloatMask(Tensor mask, Device device)
    {
        var values = mask.ToLongArray().Select(v => (float)v).ToArray();
        return Tensor.FromArray(values, mask.ShapeArray()).To(device);
    }
}
