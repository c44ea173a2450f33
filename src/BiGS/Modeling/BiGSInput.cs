using BiGS.Native.Tensors;

namespace BiGS.Native.Modeling;

/// <summary>
/// A batch for a BiGS model. Ids are integer tensors (B, L) ((B, C, L) for multiple choice). Optional tensors
/// default as in docs/BIGS.md 2: token types 0, positions 0..L-1, attention mask all ones.
/// </summary>
public sealed record BiGSInput(Tensor InputIds)
{
    /// <summary>Segment ids (B, L): 0 for the first text, 1 for the second of a pair; null means all 0.</summary>
    public Tensor? TokenTypeIds { get; init; }

    /// <summary>1 for real tokens, 0 for padding (B, L); only the pooler uses it.</summary>
    public Tensor? AttentionMask { get; init; }

    /// <summary>Position ids (B, L) or (L).</summary>
    public Tensor? PositionIds { get; init; }

    /// <summary>Labels of the head's loss: MLM (B, L) with -100 ignored; classification (B) ints or floats.</summary>
    public Tensor? Labels { get; init; }

    /// <summary>Next-sentence labels (B) for the pre-training head.</summary>
    public Tensor? NextSentenceLabel { get; init; }

    /// <summary>Answer start positions (B) for question answering.</summary>
    public Tensor? StartPositions { get; init; }

    /// <summary>Answer end positions (B) for question answering.</summary>
    public Tensor? EndPositions { get; init; }

    /// <summary>Also return the embeddings and every layer's output.</summary>
    public bool OutputHiddenStates { get; init; }
}
