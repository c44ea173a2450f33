using BiGS.Native.Autograd;
using BiGS.Native.Tensors;

namespace BiGS.Native.Nn;

/// <summary>A lookup table of <c>count</c> vectors of width <c>dim</c> (no padding index: every row trains).</summary>
public sealed class Embedding : Module
{
    /// <summary>Creates the table with entries ~ Normal(0, initStd).</summary>
    public Embedding(int count, int dim, float initStd, Rng rng) =>
        Weight = AddParameter("weight", Tensor.RandomNormal(rng, 0f, initStd, count, dim));

    /// <summary>The table (count, dim).</summary>
    public Parameter Weight { get; }

    /// <summary>Looks up ids of any shape: result (..., dim).</summary>
    public Variable Forward(Tensor ids) => Ops.Embedding(Weight, ids);
}
