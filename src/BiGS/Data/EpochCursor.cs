using System.Text.Json.Nodes;
using BiGS.Native.Tensors;

namespace BiGS.Native.Data;

/// <summary>
/// Where an endless batch source is: the items 0..count-1 are visited once per epoch in the order
/// <see cref="EpochShuffle.Order"/> gives for (seed, epoch), and a generator drives the per-item randomness
/// (masking, pairing). <see cref="WriteState"/> and <see cref="ReadState"/> carry the exact continuation.
/// </summary>
public sealed class EpochCursor
{
    private readonly int count;
    private readonly string itemName;
    private ulong seed;
    private int[] order;

    /// <summary>Starts at epoch 0, position 0, with the generator seeded by <paramref name="seed"/>.</summary>
    /// <param name="count">Items per epoch (at least 1).</param>
    /// <param name="seed">Seed of the epoch orders and of the generator.</param>
    /// <param name="itemName">What the items are ("sequences", "pairs"), as the state names their count.</param>
    public EpochCursor(int count, ulong seed, string itemName)
    {
        if (count < 1) throw new ArgumentException($"no training {itemName}");
        this.count = count;
        this.seed = seed;
        this.itemName = itemName;
        Rng = new Rng(seed);
        order = EpochShuffle.Order(count, seed, 0);
    }

    /// <summary>Completed passes over the items.</summary>
    public int Epoch { get; private set; }

    /// <summary>Items taken in the current epoch.</summary>
    public int Position { get; private set; }

    /// <summary>The generator of the source's random choices; part of the state.</summary>
    public Rng Rng { get; private set; }

    /// <summary>The next item, starting a new epoch (a new order) after the last one.</summary>
    public int Next()
    {
        if (Position == order.Length)
        {
            Epoch++;
            Position = 0;
            order = EpochShuffle.Order(count, seed, Epoch);
        }
        return order[Position++];
    }

    /// <summary>Adds the item count, seed, epoch, position and generator state to <paramref name="state"/>.</summary>
    public JsonObject WriteState(JsonObject state)
    {
        state[itemName] = count;
        state["seed"] = seed;
        state["epoch"] = Epoch;
        state["position"] = Position;
        state["rng"] = new JsonArray(Rng.GetState().Select(s => (JsonNode)JsonValue.Create(s)).ToArray());
        return state;
    }

    /// <summary>Restores what <see cref="WriteState"/> wrote.</summary>
    /// <exception cref="InvalidDataException">A missing field, another item count, or a position outside the epoch.</exception>
    public void ReadState(JsonObject state)
    {
        int saved = Field(state, itemName).GetValue<int>();
        if (saved != count)
            throw new InvalidDataException($"the checkpoint was trained on {saved} {itemName}, this data has {count}; use the same corpus, vocabulary and max length");
        seed = Field(state, "seed").GetValue<ulong>();
        int epoch = Field(state, "epoch").GetValue<int>();
        int position = Field(state, "position").GetValue<int>();
        if (position < 0 || position > count) throw new InvalidDataException($"data position {position} is outside 0..{count}");
        (Epoch, Position, order) = (epoch, position, EpochShuffle.Order(count, seed, epoch));
        Rng = new Rng(0);
        Rng.SetState(Field(state, "rng").AsArray().Select(n => n!.GetValue<ulong>()).ToArray());
    }

    private static JsonNode Field(JsonObject state, string name) =>
        state[name] ?? throw new InvalidDataException($"data state has no \"{name}\"");
}
