using BiGS.Native.Autograd;
using BiGS.Native.Nn;
using BiGS.Native.Tensors;

namespace BiGS.Native.Modeling;

/// <summary>
/// The BiGS encoder: embeddings, the layer stack and (optionally) the pooler. Heads hold it under the name "bigs".
/// </summary>
public sealed class BiGSModel : BiGSPreTrainedModel
{
    /// <summary>Loads config and weights from a model directory (weights of other heads are ignored).</summary>
    /// <param name="directory">A directory with config.json and model.safetensors or flax_model.msgpack.</param>
    /// <param name="progress">Receives the number of parameter values loaded so far (out of <see cref="Nn.Module.ParameterCount"/>).</param>
    /// <param name="cancellationToken">Checked between tensors.</param>
    public static BiGSModel FromPretrained(string directory, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        Load(directory, config => new BiGSModel(config), progress, cancellationToken);

    /// <summary>Creates a randomly initialised encoder (docs/BIGS.md 5) from a seed.</summary>
    public BiGSModel(BiGSConfig config, ulong seed = 0, bool addPooler = true) : this(config, new Rng(seed), addPooler) { }

    internal BiGSModel(BiGSConfig config, Rng rng, bool addPooler) : base(config, rng)
    {
        Embeddings = AddModule("embeddings", new BiGSEmbeddings(config, rng));
        Encoder = AddModule("encoder", new BiGSEncoder(config, rng));
        Pooler = addPooler ? AddModule("pooler", new BiGSPooler(config, rng)) : null;
    }

    /// <summary>Word, position and segment embeddings, summed and normalised: the input to the first layer.</summary>
    public BiGSEmbeddings Embeddings { get; }

    /// <summary>The <see cref="BiGSConfig.NumHiddenLayers"/> BiGS layers, applied in order.</summary>
    public BiGSEncoder Encoder { get; }

    /// <summary>The pooler, absent in masked-LM models.</summary>
    public BiGSPooler? Pooler { get; }

    /// <inheritdoc />
    public override BiGSOutput Forward(BiGSInput input)
    {
        ValidateIds(input.InputIds);
        var embedded = Embeddings.Forward(input.InputIds, input.TokenTypeIds, input.PositionIds);
        var (last, layerOutputs) = Encoder.Forward(embedded, input.OutputHiddenStates);
        return new BiGSOutput
        {
            LastHiddenState = last,
            HiddenStates = layerOutputs is null ? null : [embedded, .. layerOutputs],
            PoolerOutput = Pooler?.Forward(last, input.AttentionMask),
        };
    }

    private void ValidateIds(Tensor ids)
    {
        if (ids.Rank != 2)
            throw new ArgumentException($"input_ids must be (batch, length), got {ids.ShapeString}");
        if (ids.Size(1) > Config.MaxPositionEmbeddings)
            throw new ArgumentException($"input_ids length {ids.Size(1)} exceeds max_position_embeddings {Config.MaxPositionEmbeddings}");
        if (ids.Size(1) == 0)
            throw new ArgumentException("input_ids has length 0: give at least one token");
    }
}
