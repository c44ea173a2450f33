using BiGS.Native.Autograd;
using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Nn;
using BiGS.Native.Tensors;

namespace BiGS.Native.Modeling;

/// <summary>
/// The MLM transform and decoder (names cls.predictions.*): logits = LayerNorm(act(dense(h))) E^T + bias, with E
/// the word embedding matrix when tied (its gradient then flows into the embedding) or an own decoder weight.
/// </summary>
public sealed class MlmPredictionHead : Module
{
    private readonly Parameter decoderWeight;
    private readonly Linear transformDense;
    private readonly LayerNorm transformNorm;
    private readonly string activation;

    /// <summary>Creates the head; <paramref name="wordEmbeddings"/> is the tied decoder when the config ties them.</summary>
    public MlmPredictionHead(BiGSConfig config, Parameter wordEmbeddings, Rng rng)
    {
        activation = config.HiddenAct;
        var transform = AddModule("transform", new TransformBlock(config, rng));
        transformDense = transform.DenseLayer;
        transformNorm = transform.Norm;
        Bias = AddParameter("bias", Tensor.Zeros(config.VocabSize));
        decoderWeight = config.TieWordEmbeddings
            ? wordEmbeddings
            : AddModule("decoder", new DecoderWeight(config, rng)).Weight;
    }

    /// <summary>The output bias (V).</summary>
    public Parameter Bias { get; }

    /// <summary>Logits (..., V) for hidden states (..., d).</summary>
    public Variable Forward(Variable hidden)
    {
        var transformed = transformNorm.Forward(Activate(hidden));
        return Ops.Linear(transformed, decoderWeight, Bias);
    }

    /// <summary>dense then hidden_act ("gelu" is the exact erf form, as in the Flax head).</summary>
    private Variable Activate(Variable hidden) => activation switch
    {
        "relu" => Ops.Relu(transformDense.Forward(hidden)),
        "gelu" => transformDense.ForwardGelu(hidden, GeluKind.Erf),
        _ => transformDense.ForwardGelu(hidden, GeluKind.Tanh),
    };

    /// <summary>cls.predictions.transform: dense and LayerNorm.</summary>
    private sealed class TransformBlock : Module
    {
        public TransformBlock(BiGSConfig config, Rng rng)
        {
            DenseLayer = AddModule("dense", new Linear(config.HiddenSize, config.HiddenSize, config.InitializerRange, rng));
            Norm = AddModule("LayerNorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        }

        public Linear DenseLayer { get; }

        public LayerNorm Norm { get; }
    }

    /// <summary>cls.predictions.decoder.weight when the decoder is not tied.</summary>
    private sealed class DecoderWeight : Module
    {
        public DecoderWeight(BiGSConfig config, Rng rng) =>
            Weight = AddParameter("weight", Tensor.RandomNormal(rng, 0f, config.InitializerRange, config.VocabSize, config.HiddenSize));

        public Parameter Weight { get; }
    }
}
