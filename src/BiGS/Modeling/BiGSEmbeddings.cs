using BiGS.Native.Autograd;
using BiGS.Native.Nn;
using BiGS.Native.Tensors;

namespace BiGS.Native.Modeling;

/// <summary>h0 = LayerNorm(E_word[ids] + E_type[token_type_ids] + E_pos[position_ids]), then dropout.</summary>
public sealed class BiGSEmbeddings : Module
{
    /// <summary>Creates the three tables, the LayerNorm and the dropout.</summary>
    public BiGSEmbeddings(BiGSConfig config, Rng rng)
    {
        WordEmbeddings = AddModule("word_embeddings", new Embedding(config.VocabSize, config.HiddenSize, config.InitializerRange, rng));
        PositionEmbeddings = AddModule("position_embeddings", new Embedding(config.MaxPositionEmbeddings, config.HiddenSize, config.InitializerRange, rng));
        TokenTypeEmbeddings = AddModule("token_type_embeddings", new Embedding(config.TypeVocabSize, config.HiddenSize, config.InitializerRange, rng));
        LayerNorm = AddModule("LayerNorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        Dropout = AddModule("dropout", new Dropout(config.HiddenDropoutProb, rng));
    }

    /// <summary>Word table (V, d); also the tied MLM decoder.</summary>
    public Embedding WordEmbeddings { get; }

    /// <summary>Position table (P, d).</summary>
    public Embedding PositionEmbeddings { get; }

    /// <summary>Segment table (T, d).</summary>
    public Embedding TokenTypeEmbeddings { get; }

    /// <summary>LayerNorm after the sum.</summary>
    public LayerNorm LayerNorm { get; }

    /// <summary>Dropout after the LayerNorm.</summary>
    public Dropout Dropout { get; }

    /// <summary>
    /// Embeds a batch (B, L); token types default to 0 and positions to 0..L-1. A default is one row (type 0) or L rows
    /// (positions) broadcast over the batch: their gradient is dy summed over the broadcast axes (the sum's backward)
    /// written into those rows, with no sort of ids. Their ids are made on the tables' device (no copy from the host).
    /// </summary>
    public Variable Forward(Tensor inputIds, Tensor? tokenTypeIds, Tensor? positionIds)
    {
        var device = WordEmbeddings.Weight.Value.Device;
        var types = tokenTypeIds is null
            ? Ops.SelectIncreasingRows(TokenTypeEmbeddings.Weight, Tensor.ArangeInt(1, device))
            : TokenTypeEmbeddings.Forward(tokenTypeIds.To(device));
        var positions = positionIds is null
            ? Ops.SelectIncreasingRows(PositionEmbeddings.Weight, Tensor.ArangeInt(inputIds.Size(1), device))
            : PositionEmbeddings.Forward(positionIds.To(device));
        var sum = Ops.Add(Ops.Add(WordEmbeddings.Forward(inputIds.To(device)), types), positions);
        return Dropout.Forward(LayerNorm.Forward(sum));
    }
}
