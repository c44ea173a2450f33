using BiGS.Native.Autograd;
using BiGS.Native.Tensors;

namespace BiGS.Native.Modeling;

/// <summary>
/// The shape shared by the pre-training heads: the encoder ("bigs") and the "cls" container holding the MLM
/// predictions (decoder tied to the word embeddings) and/or the next-sentence classifier.
/// </summary>
public abstract class BiGSPreTrainingHeadModel : BiGSPreTrainedModel
{
    /// <summary>Builds the encoder and the requested heads.</summary>
    protected BiGSPreTrainingHeadModel(BiGSConfig config, ulong seed, bool masked, bool nextSentence) : base(config, new Rng(seed))
    {
        Bigs = AddModule("bigs", new BiGSModel(config, Rng, addPooler: nextSentence));
        Cls = AddModule("cls", new PreTrainingHeads(config, Bigs.Embeddings.WordEmbeddings.Weight, Rng, masked, nextSentence));
    }

    /// <summary>The BiGS encoder under the pretraining heads (its parameters are named "bigs.*").</summary>
    public BiGSModel Bigs { get; }

    /// <summary>The requested pretraining heads (masked LM, next sentence), their parameters named "cls.*"; the masked-LM decoder shares the word embeddings.</summary>
    public PreTrainingHeads Cls { get; }
}

/// <summary>Masked language model: encoder (no pooler) + MLM head; loss = mean CE over labels != -100.</summary>
public sealed class BiGSForMaskedLM : BiGSPreTrainingHeadModel
{
    /// <summary>Loads config and weights from a model directory (weights of other heads are ignored).</summary>
    /// <param name="directory">A directory with config.json and model.safetensors or flax_model.msgpack.</param>
    /// <param name="progress">Receives the number of parameter values loaded so far (out of <see cref="Nn.Module.ParameterCount"/>).</param>
    /// <param name="cancellationToken">Checked between tensors.</param>
    public static BiGSForMaskedLM FromPretrained(string directory, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        Load(directory, config => new BiGSForMaskedLM(config), progress, cancellationToken);

    /// <summary>Creates a randomly initialised model.</summary>
    public BiGSForMaskedLM(BiGSConfig config, ulong seed = 0) : base(config, seed, masked: true, nextSentence: false) { }

    /// <inheritdoc />
    public override BiGSOutput Forward(BiGSInput input)
    {
        var encoded = Bigs.Forward(input);
        var logits = Cls.Predictions!.Forward(encoded.LastHiddenState);
        return encoded with { Logits = logits, Loss = input.Labels is null ? null : Ops.CrossEntropy(logits, input.Labels) };
    }
}

/// <summary>MLM + next-sentence heads; loss = MLM loss + NSP loss for the labels given.</summary>
public sealed class BiGSForPreTraining : BiGSPreTrainingHeadModel
{
    /// <summary>Loads config and weights from a model directory (weights of other heads are ignored).</summary>
    /// <param name="directory">A directory with config.json and model.safetensors or flax_model.msgpack.</param>
    /// <param name="progress">Receives the number of parameter values loaded so far (out of <see cref="Nn.Module.ParameterCount"/>).</param>
    /// <param name="cancellationToken">Checked between tensors.</param>
    public static BiGSForPreTraining FromPretrained(string directory, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        Load(directory, config => new BiGSForPreTraining(config), progress, cancellationToken);

    /// <summary>Creates a randomly initialised model.</summary>
    public BiGSForPreTraining(BiGSConfig config, ulong seed = 0) : base(config, seed, masked: true, nextSentence: true) { }

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
        return encoded with { Logits = logits, SeqRelationshipLogits = nsp, Loss = loss };
    }
}

/// <summary>Next-sentence prediction: seq_relationship(pooled) with CE loss.</summary>
public sealed class BiGSForNextSentencePrediction : BiGSPreTrainingHeadModel
{
    /// <summary>Loads config and weights from a model directory (weights of other heads are ignored).</summary>
    /// <param name="directory">A directory with config.json and model.safetensors or flax_model.msgpack.</param>
    /// <param name="progress">Receives the number of parameter values loaded so far (out of <see cref="Nn.Module.ParameterCount"/>).</param>
    /// <param name="cancellationToken">Checked between tensors.</param>
    public static BiGSForNextSentencePrediction FromPretrained(string directory, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        Load(directory, config => new BiGSForNextSentencePrediction(config), progress, cancellationToken);

    /// <summary>Creates a randomly initialised model.</summary>
    public BiGSForNextSentencePrediction(BiGSConfig config, ulong seed = 0) : base(config, seed, masked: false, nextSentence: true) { }

    /// <inheritdoc />
    public override BiGSOutput Forward(BiGSInput input)
    {
        var encoded = Bigs.Forward(input);
        var logits = Cls.SeqRelationship!.Forward(encoded.PoolerOutput!);
        return encoded with { Logits = logits, Loss = input.Labels is null ? null : Ops.CrossEntropy(logits, input.Labels) };
    }
}
