using BiGS.Native.Autograd;
using BiGS.Native.Nn;
using BiGS.Native.Tensors;

namespace BiGS.Native.Modeling;

/// <summary>The "cls" container of the pre-training heads: MLM predictions and/or the next-sentence classifier.</summary>
public sealed class PreTrainingHeads : Module
{
    /// <summary>Creates the requested heads.</summary>
    public PreTrainingHeads(BiGSConfig config, Parameter wordEmbeddings, Rng rng, bool masked, bool nextSentence)
    {
        Predictions = masked ? AddModule("predictions", new MlmPredictionHead(config, wordEmbeddings, rng)) : null;
        SeqRelationship = nextSentence ? AddModule("seq_relationship", new Linear(config.HiddenSize, 2, config.InitializerRange, rng)) : null;
    }

    /// <summary>The MLM head, when present.</summary>
    public MlmPredictionHead? Predictions { get; }

    /// <summary>The next-sentence classifier (d -> 2), when present.</summary>
    public Linear? SeqRelationship { get; }
}
