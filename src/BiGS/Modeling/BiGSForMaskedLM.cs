using BiGS.Native.Autograd;
using BiGS.Native.Tensors;

namespace BiGS.Native.Modeling;

/// <summary>Masked language model: encoder (no pooler) + MLM head; loss = mean CE over labels != -100.</summary>
public sealed class BiGSForMaskedLM : BiGSPreTrainedModel
{
    /// <summary>Loads config and weights from a model directory (weights of other heads are ignored).</summary>
    public static BiGSForMaskedLM FromPretrained(string directory) => Load(directory, config => new BiGSForMaskedLM(config));

    /// <summary>Creates a randomly initialised model.</summary>
    public BiGSForMaskedLM(BiGSConfig config, ulong seed = 0) : base(config, new Rng(seed))
    {
        Bigs = AddModule("bigs", new BiGSModel(config, Rng, addPooler: false));
        Cls = AddModule("cls", new PreTrainingHeads(config, Bigs.Embeddings.WordEmbeddings.Weight, Rng, masked: true, nextSentence: false));
    }

    /// <summary>The encoder.</summary>
    public BiGSModel Bigs { get; }

    /// <summary>The MLM head container ("cls").</summary>
    public PreTrainingHeads Cls { get; }

    /// <inheritdoc />
    public override BiGSOutput Forward(BiGSInput input)
    {
        var encoded = Bigs.Forward(input);
        var logits = Cls.Predictions!.Forward(encoded.LastHiddenState);
        return new BiGSOutput
        {
            LastHiddenState = encoded.LastHiddenState,
            HiddenStates = encoded.HiddenStates,
            Logits = logits,
            Loss = input.Labels is null ? null : Ops.CrossEntropy(logits, input.Labels),
        };
    }
}

/// <summary>MLM + next-sentence heads; loss = MLM loss + NSP loss for the labels given.</summary>
public sealed class BiGSForPreTraining : BiGSPreTrainedModel
{
    /// <summary>Loads config and weights from a model directory (weights of other heads are ignored).</summary>
    public static BiGSForPreTraining FromPretrained(string directory) => Load(directory, config => new BiGSForPreTraining(config));

    /// <summary>Creates a randomly initialised model.</summary>
    public BiGSForPreTraining(BiGSConfig config, ulong seed = 0) : base(config, new Rng(seed))
    {
        Bigs = AddModule("bigs", new BiGSModel(config, Rng, addPooler: true));
        Cls = AddModule("cls", new PreTrainingHeads(config, Bigs.Embeddings.WordEmbeddings.Weight, Rng, masked: true, nextSentence: true));
    }

    /// <summary>The encoder.</summary>
    public BiGSModel Bigs { get; }

    /// <summary>The heads ("cls").</summary>
    public PreTrainingHeads Cls { get; }

    /// <inheritdoc />
    public override BiGSOutput Forward(BiGSInput input)
    {
        var encoded = Bigs.Forward(input);
        var logits = Cls.Predictions!.Forward(encoded.LastHiddenState);
        var nsp = Cls.SeqRelationship!.Forward(encoded.PoolerOutput!);
        Variable? loss = input.Labels is null ? null : Ops.CrossEntropy(logits, input.Labels);
        if (input.NextSentenceLabel is { } nextLabels)
        {
            var nspLoss = Ops.CrossEntropy(nsp, nextLabels);
            loss = loss is null ? nspLoss : Ops.Add(loss, nspLoss);
        }
        return new BiGSOutput
        {
            LastHiddenState = encoded.LastHiddenState,
            HiddenStates = encoded.HiddenStates,
            PoolerOutput = encoded.PoolerOutput,
            Logits = logits,
            SeqRelationshipLogits = nsp,
            Loss = loss,
        };
    }
}

/// <summary>Next-sentence prediction: seq_relationship(pooled) with CE loss.</summary>
public sealed class BiGSForNextSentencePrediction : BiGSPreTrainedModel
{
    /// <summary>Loads config and weights from a model directory (weights of other heads are ignored).</summary>
    public static BiGSForNextSentencePrediction FromPretrained(string directory) => Load(directory, config => new BiGSForNextSentencePrediction(config));

    /// <summary>Creates a randomly initialised model.</summary>
    public BiGSForNextSentencePrediction(BiGSConfig config, ulong seed = 0) : base(config, new Rng(seed))
    {
        Bigs = AddModule("bigs", new BiGSModel(config, Rng, addPooler: true));
        Cls = AddModule("cls", new PreTrainingHeads(config, Bigs.Embeddings.WordEmbeddings.Weight, Rng, masked: false, nextSentence: true));
    }

    /// <summary>The encoder.</summary>
    public BiGSModel Bigs { get; }

    /// <summary>The head container ("cls").</summary>
    public PreTrainingHeads Cls { get; }

    /// <inheritdoc />
    public override BiGSOutput Forward(BiGSInput input)
    {
        var encoded = Bigs.Forward(input);
        var logits = Cls.SeqRelationship!.Forward(encoded.PoolerOutput!);
        return new BiGSOutput
        {
            LastHiddenState = encoded.LastHiddenState,
            HiddenStates = encoded.HiddenStates,
            PoolerOutput = encoded.PoolerOutput,
            Logits = logits,
            Loss = input.Labels is null ? null : Ops.CrossEntropy(logits, input.Labels),
        };
    }
}
