namespace BiGS.Native.Data;

/// <summary>
/// A corpus kept as its lines, in order (for sentence-pair pretraining), split like <see cref="PretrainingCorpus"/>:
/// the last <see cref="PretrainingCorpus.HeldOutFraction"/> of the lines (at least 3) are held out for evaluation.
/// </summary>
/// <param name="Train">Training lines, in corpus order.</param>
/// <param name="HeldOut">Held-out lines, in corpus order.</param>
public sealed record LineCorpus(IReadOnlyList<string> Train, IReadOnlyList<string> HeldOut)
{
    /// <summary>Fewest lines of each part: a pair source needs a line, its successor and another line.</summary>
    public const int MinimumLines = 3;

    /// <summary>Splits the lines (<paramref name="description"/> names the corpus in errors).</summary>
    /// <exception cref="InvalidDataException">Fewer than 2 x <see cref="MinimumLines"/> lines.</exception>
    public static LineCorpus Split(IEnumerable<CorpusLine> lines, string description)
    {
        var texts = lines.Select(line => line.Text).ToList();
        if (texts.Count < 2 * MinimumLines)
            throw new InvalidDataException($"corpus {description} has {texts.Count} lines; sentence pairs need at least {2 * MinimumLines} (training + held out)");
        int heldOut = PretrainingCorpus.HeldOutCount(texts.Count, MinimumLines);
        return new LineCorpus(texts[..^heldOut], texts[^heldOut..]);
    }
}
