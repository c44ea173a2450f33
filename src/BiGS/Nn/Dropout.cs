using BiGS.Native.Autograd;
using BiGS.Native.Tensors;

namespace BiGS.Native.Nn;

/// <summary>Inverted dropout, active only in training mode; draws its masks from the model's generator.</summary>
public sealed class Dropout(float probability, Rng rng) : Module
{
    /// <summary>Probability of zeroing an element.</summary>
    public float Probability { get; } = probability;

    /// <summary>Applies dropout when training, identity otherwise.</summary>
    public Variable Forward(Variable x) => Training && Probability > 0f ? Ops.Dropout(x, Probability, rng) : x;
}
