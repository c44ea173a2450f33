using System.Text.Json.Nodes;
using BiGS.Native.Data;
using BiGS.Native.Modeling;
using BiGS.Native.Training;

namespace BiGS.Native.Tasks;

/// <summary>
/// Endless fine-tuning batches: each epoch visits every example once, in an order shuffled by a generator seeded
/// from (seed, epoch), in batches of <see cref="BatchSize"/> (the epoch's last batch holds what is left, as a
/// PyTorch DataLoader without drop_last does). The state (epoch, position) restores the exact continuation.
/// </summary>
public sealed class TaskBatchSource : IBatchSource
{
    private const string Kind = "task";
    private readonly IReadOnlyList<EncodedExample> examples;
    private readonly TaskEncoder encoder;
    private readonly bool regression;
    private readonly ulong seed;
    private int epoch;
    private int position;
    private int[] order;

    /// <summary>Creates the source over tokenised training examples.</summary>
    public TaskBatchSource(IReadOnlyList<EncodedExample> examples, TaskEncoder encoder, bool regression, int batchSize, ulong seed)
    {
        if (examples.Count == 0) throw new ArgumentException("no training examples");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "the batch size must be at least 1");
        this.examples = examples;
        this.encoder = encoder;
        this.regression = regression;
        this.seed = seed;
        BatchSize = batchSize;
        order = ShuffledOrder(0);
    }

    /// <summary>Examples in each full batch; an epoch's last batch holds the remainder.</summary>
    public int BatchSize { get; }

    /// <summary>Batches in one pass over the data: ceil(examples / batch size).</summary>
    public int BatchesPerEpoch => (examples.Count + BatchSize - 1) / BatchSize;

    /// <inheritdoc />
    public BiGSInput Next()
    {
        if (position == order.Length)
        {
            epoch++;
            position = 0;
            order = ShuffledOrder(epoch);
        }
        int count = Math.Min(BatchSize, order.Length - position);
        var batch = new EncodedExample[count];
        for (int i = 0; i < count; i++) batch[i] = examples[order[position + i]];
        position += count;
        return encoder.Collate(batch, regression, withLabels: true);
    }

    /// <inheritdoc />
    public JsonObject GetState() => new()
    {
        ["kind"] = Kind,
        ["examples"] = examples.Count,
        ["epoch"] = epoch,
        ["position"] = position,
    };

    /// <inheritdoc />
    public void SetState(JsonObject state)
    {
        if ((string?)state["kind"] != Kind) throw new InvalidDataException($"data state is not a {Kind} position");
        int count = Field(state, "examples");
        if (count != examples.Count)
            throw new InvalidDataException($"the checkpoint was trained on {count} examples, this data has {examples.Count}; use the same training file and options");
        epoch = Field(state, "epoch");
        order = ShuffledOrder(epoch);
        position = Field(state, "position");
        if (position < 0 || position > order.Length) throw new InvalidDataException($"data position {position} is outside 0..{order.Length}");
    }

    private static int Field(JsonObject state, string name) =>
        state[name]?.GetValue<int>() ?? throw new InvalidDataException($"data state has no \"{name}\"");

    private int[] ShuffledOrder(int epochIndex) => EpochShuffle.Order(examples.Count, seed, epochIndex);
}
