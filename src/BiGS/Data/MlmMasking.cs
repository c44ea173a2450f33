using BiGS.Native.Tensors;
using BiGS.Native.Tokenization;

namespace BiGS.Native.Data;

/// <summary>A masked copy of a sequence and its labels (the original id where chosen, -100 elsewhere).</summary>
/// <param name="InputIds">The sequence with chosen tokens replaced or kept.</param>
/// <param name="Labels">Target ids at chosen positions, -100 elsewhere.</param>
public sealed record MaskedSequence(int[] InputIds, int[] Labels);

/// <summary>
/// BERT's dynamic masking (docs/TRAINING.md): choose round(0.15 n) of the n non-special tokens (at least 1, at most
/// max_predictions), uniformly without replacement; each chosen token becomes [MASK] with probability 0.8, a
/// uniformly random vocabulary id with 0.1, and stays with 0.1. Every draw comes from the given generator.
/// </summary>
public sealed class MlmMasking
{
    /// <summary>The label of unchosen positions (ignored by the loss).</summary>
    public const int IgnoreLabel = -100;

    private readonly int clsId, sepId, padId, maskId, vocabSize;

    /// <summary>Creates the masking for a tokenizer's special ids.</summary>
    public MlmMasking(BertTokenizer tokenizer, int maxPredictions, double maskProbability = 0.15)
    {
        if (maxPredictions < 1) throw new ArgumentOutOfRangeException(nameof(maxPredictions), maxPredictions, "at least one prediction per sequence");
        if (!(maskProbability > 0 && maskProbability < 1)) throw new ArgumentOutOfRangeException(nameof(maskProbability), maskProbability, "must be in (0, 1)");
        (clsId, sepId, padId, maskId, vocabSize) = (tokenizer.ClsId, tokenizer.SepId, tokenizer.PadId, tokenizer.MaskId, tokenizer.VocabSize);
        MaxPredictions = maxPredictions;
        MaskProbability = maskProbability;
    }

    /// <summary>Most positions chosen in one sequence.</summary>
    public int MaxPredictions { get; }

    /// <summary>Fraction of non-special tokens chosen.</summary>
    public double MaskProbability { get; }

    /// <summary>The authors' cap for a sequence length: 20 for 128, scaled proportionally (at least 1).</summary>
    public static int DefaultMaxPredictions(int maxLength) => Math.Max(1, (int)Math.Round(maxLength * 20.0 / 128.0));

    /// <summary>Masks one sequence (the input is not modified).</summary>
    public MaskedSequence Apply(ReadOnlySpan<int> sequence, Rng rng)
    {
        int[] ids = sequence.ToArray();
        int[] labels = new int[ids.Length];
        Array.Fill(labels, IgnoreLabel);
        var candidates = new List<int>(ids.Length);
        for (int i = 0; i < ids.Length; i++)
            if (ids[i] != clsId && ids[i] != sepId && ids[i] != padId) candidates.Add(i);
        if (candidates.Count == 0) return new MaskedSequence(ids, labels);
        int count = Math.Clamp((int)Math.Round(candidates.Count * MaskProbability), 1, Math.Min(MaxPredictions, candidates.Count));
        for (int k = 0; k < count; k++)
        {
            // partial Fisher-Yates: swap a uniform pick from the not-yet-chosen tail into slot k
            int pick = k + rng.NextInt(candidates.Count - k);
            (candidates[k], candidates[pick]) = (candidates[pick], candidates[k]);
            int position = candidates[k];
            labels[position] = ids[position];
            double roll = rng.NextDouble();
            if (roll < 0.8) ids[position] = maskId;
            else if (roll < 0.9) ids[position] = rng.NextInt(vocabSize);
        }
        return new MaskedSequence(ids, labels);
    }
}
