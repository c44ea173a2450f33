using BiGS.Native.Autograd;

namespace BiGS.Native.Modeling;

/// <summary>Named outputs of a forward pass; what a head does not produce stays null.</summary>
public sealed record BiGSOutput
{
    /// <summary>Output of the last layer (B, L, d).</summary>
    public required Variable LastHiddenState { get; init; }

    /// <summary>Embeddings then each layer's output, when asked for.</summary>
    public IReadOnlyList<Variable>? HiddenStates { get; init; }

    /// <summary>Pooled vector (B, d) for heads that pool.</summary>
    public Variable? PoolerOutput { get; init; }

    /// <summary>The head's logits: MLM (B, L, V), classification (B, labels), tokens (B, L, labels), choices (B, C).</summary>
    public Variable? Logits { get; init; }

    /// <summary>Next-sentence logits (B, 2) of the pre-training head.</summary>
    public Variable? SeqRelationshipLogits { get; init; }

    /// <summary>Question answering start logits (B, L).</summary>
    public Variable? StartLogits { get; init; }

    /// <summary>Question answering end logits (B, L).</summary>
    public Variable? EndLogits { get; init; }

    /// <summary>The loss when labels were given (a scalar).</summary>
    public Variable? Loss { get; init; }
}
