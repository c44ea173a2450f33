using BiGS.Native.Tokenization;

namespace BiGS.Native.Data;

/// <summary>
/// A tokenised, packed corpus split into training sequences and a held-out tail for evaluation
/// (the last <see cref="HeldOutFraction"/> of sequences, at least one).
/// </summary>
public sealed class PretrainingCorpus
{
    /// <summary>Fraction of sequences held out for evaluation.</summary>
    public const double HeldOutFraction = 0.02;

    private PretrainingCorpus(List<int[]> train, List<int[]> heldOut)
    {
        Train = train;
        HeldOut = heldOut;
    }

    /// <summary>Token-id sequences to train on (about 1 - <see cref="HeldOutFraction"/> of the corpus).</summary>
    public IReadOnlyList<int[]> Train { get; }

    /// <summary>Token-id sequences kept out of training to measure held-out loss and accuracy (<see cref="HeldOutFraction"/>).</summary>
    public IReadOnlyList<int[]> HeldOut { get; }

    /// <summary>Reads, tokenises and packs the files in order, then splits off the held-out tail.</summary>
    /// <exception cref="InvalidDataException">The files hold no text, or too little for a training and a held-out sequence.</exception>
    public static PretrainingCorpus Load(IReadOnlyList<string> paths, BertTokenizer tokenizer, int maxLength) =>
        FromLines(paths.SelectMany(TextCorpus.ReadLines), tokenizer, maxLength, string.Join(", ", paths));

    /// <summary>Packs lines from any source (<paramref name="description"/> names it in errors) and splits them.</summary>
    public static PretrainingCorpus FromLines(IEnumerable<CorpusLine> lines, BertTokenizer tokenizer, int maxLength, string description)
    {
        var sequences = new SequencePacker(tokenizer, maxLength).Pack(lines);
        if (sequences.Count == 0) throw new InvalidDataException($"corpus {description} is empty or only whitespace");
        if (sequences.Count < 2)
            throw new InvalidDataException($"corpus {description} packs into only {sequences.Count} sequence of {maxLength} tokens; need at least 2 (training + held out)");
        int heldOut = HeldOutCount(sequences.Count, minimum: 1);
        return new PretrainingCorpus(sequences[..^heldOut], sequences[^heldOut..]);
    }

    /// <summary>How many of <paramref name="total"/> items the held-out tail takes: the fraction, at least <paramref name="minimum"/>.</summary>
    internal static int HeldOutCount(int total, int minimum) => Math.Max(minimum, (int)(total * HeldOutFraction));
}
