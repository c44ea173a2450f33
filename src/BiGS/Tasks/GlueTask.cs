namespace BiGS.Native.Tasks;

/// <summary>Where a task finds one of its fields in a row: a header name, or a fixed position for a file without header.</summary>
/// <param name="Name">Header name, or a description (for a file without header) used in errors.</param>
/// <param name="Index">0-based position when the file has no header; null to look the name up in the header.</param>
public sealed record TaskColumn(string Name, int? Index = null)
{
    /// <summary>Other header names accepted for the column when <see cref="Name"/> is absent (MRPC's label is "Quality" or "label").</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>The column's position in <paramref name="table"/> (by index, by name, then by alias).</summary>
    public int Resolve(DelimitedTable table)
    {
        if (Index is { } index) return index;
        if (table.Header is { } header && !header.Contains(Name))
            foreach (var alias in Aliases)
                if (Array.IndexOf(header, alias) is var position and >= 0) return position;
        return table.ColumnIndex(Name);
    }

    /// <summary>How errors name the column.</summary>
    public override string ToString() => Index is { } index ? $"column {index + 1} ({Name})" : $"column '{Name}'";
}

/// <summary>
/// A sentence (pair) classification or regression task in GLUE layout: which columns hold the text, the optional
/// second text and the label; the labels in class-id order (null for regression); the metrics it reports; and the
/// file names of its splits. Instances come from <see cref="GlueTasks"/>.
/// </summary>
public sealed record GlueTask
{
    /// <summary>Task name as given on the command line (sst2, mrpc, …, custom).</summary>
    public required string Name { get; init; }

    /// <summary>The first (or only) text.</summary>
    public required TaskColumn Text { get; init; }

    /// <summary>The second text of a sentence-pair task; null for single-sentence tasks.</summary>
    public TaskColumn? TextPair { get; init; }

    /// <summary>The label (class name or regression score).</summary>
    public required TaskColumn Label { get; init; }

    /// <summary>Whether the files start with a header line (all GLUE tasks but CoLA).</summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>Class names in class-id order; null for a regression task or a custom task whose labels are not known yet.</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>A regression task: the label is a number and the model has one output.</summary>
    public bool IsRegression { get; init; }

    /// <summary>Inclusive range of a regression score (STS-B: 0 to 5); null accepts any finite number.</summary>
    public (double Min, double Max)? ScoreRange { get; init; }

    /// <summary>The metrics reported, the first being the one the best checkpoint is chosen by.</summary>
    public required IReadOnlyList<TaskMetric> Metrics { get; init; }

    /// <summary>File stems of the development split(s): "dev", or MNLI's "dev_matched" and "dev_mismatched".</summary>
    public IReadOnlyList<string> DevSplits { get; init; } = ["dev"];

    /// <summary>The metric that chooses the best checkpoint.</summary>
    public TaskMetric MainMetric => Metrics[0];

    /// <summary>Number of model outputs: the number of classes, or 1 for regression.</summary>
    public int NumLabels => IsRegression ? 1
        : Labels?.Count ?? throw new InvalidOperationException($"task '{Name}' does not know its labels yet");

    /// <summary>The file stems a split name stands for: "dev" is every development split, anything else itself.</summary>
    public IReadOnlyList<string> SplitFiles(string split) => split == "dev" ? DevSplits : [split];

    /// <summary>
    /// The file of a split in a data directory: <c>{split}.tsv</c>, or <c>{split}.csv</c> when only that exists.
    /// Throws <see cref="FileNotFoundException"/> naming what was looked for.
    /// </summary>
    public static string DataFile(string directory, string splitFile)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"data directory not found: {directory}");
        string tsv = Path.Combine(directory, splitFile + ".tsv"), csv = Path.Combine(directory, splitFile + ".csv");
        if (File.Exists(tsv)) return tsv;
        if (File.Exists(csv)) return csv;
        throw new FileNotFoundException($"{directory} has no {splitFile}.tsv (or {splitFile}.csv)", tsv);
    }

    /// <summary>The class id of a label text, or the score of a regression label; null when the text is not a valid label.</summary>
    public float? ParseLabel(string text)
    {
        var trimmed = text.Trim();
        if (IsRegression) return ParseScore(trimmed);
        var labels = Labels ?? throw new InvalidOperationException($"task '{Name}' does not know its labels yet");
        for (int id = 0; id < labels.Count; id++)
            if (labels[id] == trimmed) return id;
        return null;
    }

    /// <summary>What a valid label looks like, for error messages.</summary>
    public string DescribeLabels() =>
        IsRegression
            ? ScoreRange is { } range ? $"a number from {range.Min} to {range.Max}" : "a finite number"
            : $"one of {string.Join(", ", (Labels ?? []).Select(l => $"'{l}'"))}";

    private float? ParseScore(string text)
    {
        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double score)
            || !double.IsFinite(score))
            return null;
        if (ScoreRange is { } range && (score < range.Min || score > range.Max)) return null;
        return (float)score;
    }
}
