using System.Text.Json.Nodes;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;
using BiGS.Native.Tokenization;
using BiGS.Native.Training;

namespace BiGS.Native.Data;

/// <summary>
/// BERT's pretraining batches with next-sentence prediction: [CLS] A [SEP] B [SEP] where A is a line of the corpus
/// and B is, with probability 1/2, the line that follows it (label 0, "B continues A") or a random other line
/// (label 1), truncated longest-first and padded to max_length, token type 0 for A and 1 for B, then masked for
/// the masked-LM loss as <see cref="MlmMasking"/> does. Each epoch visits every line that has a successor once as
/// A, in a shuffled order; the state restores the exact continuation.
/// </summary>
public sealed class NextSentenceBatchSource : IBatchSource
{
    /// <summary>The label of a pair whose B follows A in the corpus.</summary>
    public const int IsNextLabel = 0;

    /// <summary>The label of a pair whose B is a random line.</summary>
    public const int IsRandomLabel = 1;

    private const string Kind = "next-sentence";
    private readonly IReadOnlyList<string> lines;
    private readonly PairEncoder encoder;
    private readonly EpochCursor cursor;

    /// <summary>Creates the source over consecutive corpus lines (at least 3).</summary>
    public NextSentenceBatchSource(IReadOnlyList<string> lines, BertTokenizer tokenizer, MlmMasking masking, int maxLength, int batchSize, ulong seed)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "the batch size must be at least 1");
        RequireLines(lines);
        this.lines = lines;
        encoder = new PairEncoder(tokenizer, masking, maxLength);
        BatchSize = batchSize;
        cursor = new EpochCursor(lines.Count - 1, seed, "pairs");
    }

    /// <summary>Line pairs in each batch (the whole global batch; data-parallel ranks take their rows of it).</summary>
    public int BatchSize { get; }

    /// <inheritdoc />
    public BiGSInput Next()
    {
        var pairs = new LabelledPair[BatchSize];
        for (int b = 0; b < BatchSize; b++) pairs[b] = DrawPair(lines, cursor.Next(), cursor.Rng);
        return encoder.Collate(pairs, lines, cursor.Rng);
    }

    /// <summary>
    /// Fixed evaluation batches: every line with a successor once as A, in order, paired and masked with
    /// Rng(<paramref name="seed"/>), so each evaluation scores the same predictions.
    /// </summary>
    public static List<BiGSInput> EvaluationBatches(IReadOnlyList<string> lines, BertTokenizer tokenizer, MlmMasking masking,
        int maxLength, int batchSize, ulong seed)
    {
        RequireLines(lines);
        var rng = new Rng(seed);
        var encoder = new PairEncoder(tokenizer, masking, maxLength);
        var pairs = Enumerable.Range(0, lines.Count - 1).Select(first => DrawPair(lines, first, rng)).ToList();
        return pairs.Chunk(batchSize).Select(chunk => encoder.Collate(chunk, lines, rng)).ToList();
    }

    /// <inheritdoc />
    public JsonObject GetState() => cursor.WriteState(new JsonObject { ["kind"] = Kind });

    /// <inheritdoc />
    public void SetState(JsonObject state)
    {
        if ((string?)state["kind"] != Kind) throw new InvalidDataException($"data state is not a {Kind} position");
        cursor.ReadState(state);
    }

    private static void RequireLines(IReadOnlyList<string> lines)
    {
        if (lines.Count < 3) throw new ArgumentException($"next-sentence pairs need at least 3 lines, got {lines.Count}");
    }

    /// <summary>A pair for line <paramref name="first"/>: its successor, or (coin flip) a line other than both.</summary>
    private static LabelledPair DrawPair(IReadOnlyList<string> lines, int first, Rng rng)
    {
        if (rng.NextDouble() < 0.5) return new LabelledPair(first, first + 1, IsNextLabel);
        int second;
        do second = rng.NextInt(lines.Count);
        while (second == first || second == first + 1);
        return new LabelledPair(first, second, IsRandomLabel);
    }

    private readonly record struct LabelledPair(int First, int Second, int Label);

    /// <summary>Tokenises, masks and stacks pairs into a batch.</summary>
    private sealed class PairEncoder(BertTokenizer tokenizer, MlmMasking masking, int maxLength)
    {
        public BiGSInput Collate(IReadOnlyList<LabelledPair> pairs, IReadOnlyList<string> lines, Rng rng)
        {
            var masked = new MaskedSequence[pairs.Count];
            int[] tokenTypes = new int[pairs.Count * maxLength], nextLabels = new int[pairs.Count];
            for (int b = 0; b < pairs.Count; b++)
            {
                var encoding = tokenizer.Encode(lines[pairs[b].First], lines[pairs[b].Second], maxLength, padToMaxLength: true, truncation: true);
                masked[b] = masking.Apply(encoding.InputIds, rng);
                encoding.TokenTypeIds.CopyTo(tokenTypes, b * maxLength);
                nextLabels[b] = pairs[b].Label;
            }
            return MaskedLmBatchSource.ToInput(masked, tokenizer.PadId) with
            {
                TokenTypeIds = Tensor.FromInts(tokenTypes, pairs.Count, maxLength),
                NextSentenceLabel = Tensor.FromInts(nextLabels, pairs.Count),
            };
        }
    }
}
