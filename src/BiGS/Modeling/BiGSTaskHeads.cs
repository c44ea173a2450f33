using BiGS.Native.Autograd;
using BiGS.Native.Nn;
using BiGS.Native.Tensors;

namespace BiGS.Native.Modeling;

/// <summary>Per-token classification: classifier(dropout(h)) for every position; CE ignoring -100.</summary>
public sealed class BiGSForTokenClassification : BiGSClassifierModel
{
    /// <summary>Loads config and weights from a model directory (weights of other heads are ignored).</summary>
    /// <param name="directory">A directory with config.json and model.safetensors or flax_model.msgpack.</param>
    /// <param name="progress">Receives the number of parameter values loaded so far (out of <see cref="Nn.Module.ParameterCount"/>).</param>
    /// <param name="cancellationToken">Checked between tensors.</param>
    public static BiGSForTokenClassification FromPretrained(string directory, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        Load(directory, config => new BiGSForTokenClassification(config), progress, cancellationToken);

    /// <summary>Creates a randomly initialised model.</summary>
    public BiGSForTokenClassification(BiGSConfig config, ulong seed = 0) : base(config, seed, pooled: false, config.NumLabels) { }

    /// <inheritdoc />
    public override BiGSOutput Forward(BiGSInput input)
    {
        var encoded = Bigs.Forward(input);
        var logits = Classify(encoded.LastHiddenState);
        return encoded with { Logits = logits, Loss = input.Labels is null ? null : Ops.CrossEntropy(logits, input.Labels) };
    }
}

/// <summary>
/// Extractive QA: qa_outputs(h) (B, L, 2) split into start and end logits (B, L); loss = mean of the start and end
/// CE, with positions outside [0, L) ignored.
/// </summary>
public sealed class BiGSForQuestionAnswering : BiGSPreTrainedModel
{
    /// <summary>Loads config and weights from a model directory (weights of other heads are ignored).</summary>
    /// <param name="directory">A directory with config.json and model.safetensors or flax_model.msgpack.</param>
    /// <param name="progress">Receives the number of parameter values loaded so far (out of <see cref="Nn.Module.ParameterCount"/>).</param>
    /// <param name="cancellationToken">Checked between tensors.</param>
    public static BiGSForQuestionAnswering FromPretrained(string directory, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        Load(directory, config => new BiGSForQuestionAnswering(config), progress, cancellationToken);

    /// <summary>Creates a randomly initialised model.</summary>
    public BiGSForQuestionAnswering(BiGSConfig config, ulong seed = 0) : base(config, new Rng(seed))
    {
        Bigs = AddModule("bigs", new BiGSModel(config, Rng, addPooler: false));
        QaOutputs = AddModule("qa_outputs", new Linear(config.HiddenSize, 2, config.InitializerRange, Rng));
    }

    /// <summary>The BiGS encoder the task heads read (its parameters are named "bigs.*").</summary>
    public BiGSModel Bigs { get; }

    /// <summary>The span classifier (d -> 2).</summary>
    public Linear QaOutputs { get; }

    /// <inheritdoc />
    public override BiGSOutput Forward(BiGSInput input)
    {
        var encoded = Bigs.Forward(input);
        var logits = QaOutputs.Forward(encoded.LastHiddenState);
        var start = Ops.Reshape(Ops.Slice(logits, -1, 0, 1), input.InputIds.ShapeArray());
        var end = Ops.Reshape(Ops.Slice(logits, -1, 1, 1), input.InputIds.ShapeArray());
        Variable? loss = null;
        if (input.StartPositions is { } starts && input.EndPositions is { } ends)
        {
            int length = input.InputIds.Size(1);
            loss = Ops.Scale(Ops.Add(Ops.CrossEntropy(start, IgnoreOutside(starts, length)),
                Ops.CrossEntropy(end, IgnoreOutside(ends, length))), 0.5f);
        }
        return encoded with { StartLogits = start, EndLogits = end, Loss = loss };
    }

    private static Tensor IgnoreOutside(Tensor positions, int length) =>
        Tensor.FromInts(positions.ToLongArray().Select(p => p >= 0 && p < length ? (int)p : -100).ToArray(), positions.ShapeArray());
}

/// <summary>
/// Multiple choice: input (B, C, L) flattened to (B*C, L); classifier(dropout(pooled)) (d -> 1) reshaped to
/// (B, C); CE over the choices.
/// </summary>
public sealed class BiGSForMultipleChoice : BiGSClassifierModel
{
    /// <summary>Loads config and weights from a model directory (weights of other heads are ignored).</summary>
    /// <param name="directory">A directory with config.json and model.safetensors or flax_model.msgpack.</param>
    /// <param name="progress">Receives the number of parameter values loaded so far (out of <see cref="Nn.Module.ParameterCount"/>).</param>
    /// <param name="cancellationToken">Checked between tensors.</param>
    public static BiGSForMultipleChoice FromPretrained(string directory, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        Load(directory, config => new BiGSForMultipleChoice(config), progress, cancellationToken);

    /// <summary>Creates a randomly initialised model.</summary>
    public BiGSForMultipleChoice(BiGSConfig config, ulong seed = 0) : base(config, seed, pooled: true, outFeatures: 1) { }

    /// <inheritdoc />
    public override BiGSOutput Forward(BiGSInput input)
    {
        if (input.InputIds.Rank != 3)
            throw new ArgumentException($"multiple choice input_ids must be (batch, choices, length), got {input.InputIds.ShapeString}");
        int batch = input.InputIds.Size(0), choices = input.InputIds.Size(1), length = input.InputIds.Size(2);
        var flat = input with
        {
            InputIds = input.InputIds.Reshape(batch * choices, length),
            TokenTypeIds = input.TokenTypeIds?.Reshape(batch * choices, length),
            AttentionMask = input.AttentionMask?.Reshape(batch * choices, length),
            PositionIds = input.PositionIds?.Reshape(batch * choices, length),
        };
        var encoded = Bigs.Forward(flat);
        var logits = Ops.Reshape(Classify(encoded.PoolerOutput!), batch, choices);
        return encoded with { Logits = logits, Loss = input.Labels is null ? null : Ops.CrossEntropy(logits, input.Labels) };
    }
}
