using BiGS.Native.Modeling;
using BiGS.Native.Tensors;
using BiGS.Native.Tokenization;

namespace BiGS.Native.Tasks;

/// <summary>A tokenised example: <c>[CLS] text [SEP] (pair [SEP])</c> ids, their segment ids, and the label.</summary>
/// <param name="InputIds">Token ids, special tokens included, not padded.</param>
/// <param name="TokenTypeIds">0 for the first text, 1 for the pair.</param>
/// <param name="Label">Class id or regression score.</param>
public sealed record EncodedExample(int[] InputIds, int[] TokenTypeIds, float Label);

/// <summary>
/// Tokenises task examples (truncating longest-first to <see cref="MaxLength"/>) and stacks them into model batches,
/// padded on the right either to <see cref="MaxLength"/> (as the authors do; BiGS reads the padding in both
/// directions, so this changes the result) or to the longest example of the batch.
/// </summary>
public sealed class TaskEncoder
{
    /// <summary>An encoder that truncates examples to <paramref name="maxLength"/> tokens (at least 4) and pads batches to it or to their longest example.</summary>
    public TaskEncoder(BertTokenizer tokenizer, int maxLength, bool padToMaxLength)
    {
        if (maxLength < 4) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "max length must be at least 4 tokens");
        Tokenizer = tokenizer;
        MaxLength = maxLength;
        PadToMaxLength = padToMaxLength;
    }

    /// <summary>The tokenizer that turns texts into ids; its special tokens frame each example.</summary>
    public BertTokenizer Tokenizer { get; }

    /// <summary>Length limit in tokens, special tokens included.</summary>
    public int MaxLength { get; }

    /// <summary>Pad every batch to <see cref="MaxLength"/> (true) or to its longest example (false).</summary>
    public bool PadToMaxLength { get; }

    /// <summary>Tokenises examples (in parallel; the order is kept).</summary>
    public IReadOnlyList<EncodedExample> Encode(IReadOnlyList<TaskExample> examples)
    {
        var texts = examples.Select(e => e.Text).ToList();
        var pairs = examples.Count > 0 && examples[0].TextPair is not null ? examples.Select(e => e.TextPair ?? "").ToList() : null;
        var encodings = Tokenizer.EncodeBatch(texts, pairs, MaxLength, padToMaxLength: false, truncation: true);
        return [.. encodings.Select((e, i) => new EncodedExample(e.InputIds, e.TokenTypeIds, examples[i].Label))];
    }

    /// <summary>
    /// A model batch: input_ids and token_type_ids (B, L) padded with [PAD] / 0, attention_mask 1 on real tokens, and
    /// labels (B) when <paramref name="withLabels"/>: float scores for regression, int class ids otherwise.
    /// </summary>
    public BiGSInput Collate(IReadOnlyList<EncodedExample> batch, bool regression, bool withLabels)
    {
        int length = PadToMaxLength ? MaxLength : batch.Max(e => e.InputIds.Length);
        var ids = new int[batch.Count * length];
        var types = new int[batch.Count * length];
        var mask = new int[batch.Count * length];
        Array.Fill(ids, Tokenizer.PadId);
        for (int b = 0; b < batch.Count; b++)
        {
            var example = batch[b];
            example.InputIds.CopyTo(ids, b * length);
            example.TokenTypeIds.CopyTo(types, b * length);
            mask.AsSpan(b * length, example.InputIds.Length).Fill(1);
        }
        return new BiGSInput(Tensor.FromInts(ids, batch.Count, length))
        {
            TokenTypeIds = Tensor.FromInts(types, batch.Count, length),
            AttentionMask = Tensor.FromInts(mask, batch.Count, length),
            Labels = withLabels ? Labels(batch, regression) : null,
        };
    }

    private static Tensor Labels(IReadOnlyList<EncodedExample> batch, bool regression) =>
        regression
            ? Tensor.FromArray(batch.Select(e => e.Label).ToArray(), batch.Count)
            : Tensor.FromInts(batch.Select(e => (int)e.Label).ToArray(), batch.Count);
}
