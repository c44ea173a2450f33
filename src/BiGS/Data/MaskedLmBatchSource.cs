using System.Text.Json.Nodes;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;
using BiGS.Native.Training;

namespace BiGS.Native.Data;

/// <summary>
/// Endless masked-LM batches over packed sequences: each epoch visits every sequence once in an order shuffled
/// by Rng(seed, epoch), and each batch is masked afresh (dynamic masking) from the source's own generator. The
/// state (seed, epoch, position, generator) restores the exact continuation.
/// </summary>
public sealed class MaskedLmBatchSource : IBatchSource
{
    private const string Kind = "masked-lm";
    private readonly IReadOnlyList<int[]> sequences;
    private readonly MlmMasking masking;
    private readonly int padId;
    private readonly EpochCursor cursor;

    /// <summary>Creates the source; <paramref name="padId"/> marks padding (attention mask 0).</summary>
    public MaskedLmBatchSource(IReadOnlyList<int[]> sequences, MlmMasking masking, int padId, int batchSize, ulong seed)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "the batch size must be at least 1");
        this.sequences = sequences;
        this.masking = masking;
        this.padId = padId;
        BatchSize = batchSize;
        cursor = new EpochCursor(sequences.Count, seed, "sequences");
    }

    /// <summary>Masked sequences in each batch (the whole global batch; data-parallel ranks take their rows of it).</summary>
    public int BatchSize { get; }

    /// <summary>Completed passes over the data.</summary>
    public int Epoch => cursor.Epoch;

    /// <inheritdoc />
    public BiGSInput Next()
    {
        var batch = new MaskedSequence[BatchSize];
        for (int b = 0; b < BatchSize; b++) batch[b] = masking.Apply(sequences[cursor.Next()], cursor.Rng);
        return ToInput(batch, padId);
    }

    /// <summary>
    /// Fixed evaluation batches: every sequence once, in order, masked with Rng(<paramref name="seed"/>) so each
    /// evaluation scores the same predictions.
    /// </summary>
    public static List<BiGSInput> EvaluationBatches(IReadOnlyList<int[]> sequences, MlmMasking masking, int padId, int batchSize, ulong seed)
    {
        var rng = new Rng(seed);
        return sequences.Select(s => masking.Apply(s, rng)).Chunk(batchSize).Select(chunk => ToInput(chunk, padId)).ToList();
    }

    /// <inheritdoc />
    public JsonObject GetState() => cursor.WriteState(new JsonObject { ["kind"] = Kind });

    /// <inheritdoc />
    public void SetState(JsonObject state)
    {
        if ((string?)state["kind"] != Kind) throw new InvalidDataException($"data state is not a {Kind} position");
        cursor.ReadState(state);
    }

    /// <summary>Stacks masked sequences into (B, L) input ids, attention mask (1 except [PAD]) and labels.</summary>
    internal static BiGSInput ToInput(IReadOnlyList<MaskedSequence> batch, int padId)
    {
        int length = batch[0].InputIds.Length;
        int[] ids = new int[batch.Count * length], mask = new int[ids.Length], labels = new int[ids.Length];
        for (int b = 0; b < batch.Count; b++)
        {
            batch[b].InputIds.CopyTo(ids, b * length);
            batch[b].Labels.CopyTo(labels, b * length);
        }
        for (int i = 0; i < ids.Length; i++) mask[i] = ids[i] == padId && labels[i] == MlmMasking.IgnoreLabel ? 0 : 1;
        return new BiGSInput(Tensor.FromInts(ids, batch.Count, length))
        {
            AttentionMask = Tensor.FromInts(mask, batch.Count, length),
            Labels = Tensor.FromInts(labels, batch.Count, length),
        };
    }
}
