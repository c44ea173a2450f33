namespace BiGS.Native.Tasks;

/// <summary>
/// The GLUE tasks as the authors fine-tune them (docs/TRAINING.md): columns by header name (CoLA by position, it has no
/// header), labels in the order of the Hugging Face <c>glue</c> datasets, and the metrics GLUE reports, the first
/// of which picks the best checkpoint. <see cref="Custom"/> describes any other TSV/CSV file with a header.
/// </summary>
public static class GlueTasks
{
    private static readonly string[] BinaryLabels = ["0", "1"];
    private static readonly string[] EntailmentLabels = ["entailment", "not_entailment"];

    private static readonly Dictionary<string, GlueTask> ByName = new GlueTask[]
    {
        new()
        {
            Name = "cola", HasHeader = false,
            Text = new TaskColumn("sentence", 3), Label = new TaskColumn("label", 1),
            Labels = BinaryLabels, Metrics = [TaskMetric.MatthewsCorrelation],
        },
        new()
        {
            Name = "sst2", Text = new TaskColumn("sentence"), Label = new TaskColumn("label"),
            Labels = BinaryLabels, Metrics = [TaskMetric.Accuracy],
        },
        new()
        {
            Name = "mrpc", Text = new TaskColumn("#1 String"), TextPair = new TaskColumn("#2 String"), Label = new TaskColumn("Quality") { Aliases = ["label"] },
            Labels = BinaryLabels, Metrics = [TaskMetric.F1, TaskMetric.Accuracy],
        },
        new()
        {
            Name = "stsb", Text = new TaskColumn("sentence1"), TextPair = new TaskColumn("sentence2"), Label = new TaskColumn("score"),
            IsRegression = true, ScoreRange = (0, 5), Metrics = [TaskMetric.Pearson, TaskMetric.Spearman],
        },
        new()
        {
            Name = "qqp", Text = new TaskColumn("question1"), TextPair = new TaskColumn("question2"), Label = new TaskColumn("is_duplicate"),
            Labels = BinaryLabels, Metrics = [TaskMetric.F1, TaskMetric.Accuracy],
        },
        new()
        {
            Name = "mnli", Text = new TaskColumn("sentence1"), TextPair = new TaskColumn("sentence2"), Label = new TaskColumn("gold_label"),
            Labels = ["entailment", "neutral", "contradiction"], Metrics = [TaskMetric.Accuracy],
            DevSplits = ["dev_matched", "dev_mismatched"],
        },
        new()
        {
            Name = "qnli", Text = new TaskColumn("question"), TextPair = new TaskColumn("sentence"), Label = new TaskColumn("label"),
            Labels = EntailmentLabels, Metrics = [TaskMetric.Accuracy],
        },
        new()
        {
            Name = "rte", Text = new TaskColumn("sentence1"), TextPair = new TaskColumn("sentence2"), Label = new TaskColumn("label"),
            Labels = EntailmentLabels, Metrics = [TaskMetric.Accuracy],
        },
        new()
        {
            Name = "wnli", Text = new TaskColumn("sentence1"), TextPair = new TaskColumn("sentence2"), Label = new TaskColumn("label"),
            Labels = BinaryLabels, Metrics = [TaskMetric.Accuracy],
        },
    }.ToDictionary(t => t.Name);

    /// <summary>Name of the task read from user-chosen columns.</summary>
    public const string CustomName = "custom";

    /// <summary>Every task name the command line accepts, <c>custom</c> last.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. ByName.Keys, CustomName];

    /// <summary>A GLUE task by name; <c>custom</c> needs <see cref="Custom"/> instead.</summary>
    public static GlueTask Get(string name)
    {
        if (ByName.TryGetValue(name, out var task)) return task;
        if (name == CustomName) throw new ArgumentException("task 'custom' needs its columns: use --text-column and --label-column (and --text-pair-column for pairs)");
        throw new ArgumentException($"unknown task '{name}' (known: {string.Join(", ", Names)})");
    }

    /// <summary>
    /// A task over any TSV/CSV file with a header. Classification labels are not known yet: set them with
    /// <c>task with { Labels = ... }</c> (from the training file with <see cref="TaskData.DistinctLabels"/>, or from a
    /// fine-tuned model's config). Accuracy is its metric (Pearson and Spearman for regression).
    /// </summary>
    public static GlueTask Custom(string textColumn, string? textPairColumn, string labelColumn, bool regression) => new()
    {
        Name = CustomName,
        Text = new TaskColumn(RequireName(textColumn, "--text-column")),
        TextPair = textPairColumn is null ? null : new TaskColumn(RequireName(textPairColumn, "--text-pair-column")),
        Label = new TaskColumn(RequireName(labelColumn, "--label-column")),
        IsRegression = regression,
        Metrics = regression ? [TaskMetric.Pearson, TaskMetric.Spearman] : [TaskMetric.Accuracy],
    };

    private static string RequireName(string name, string option) =>
        string.IsNullOrWhiteSpace(name) ? throw new ArgumentException($"{option} must name a column") : name;
}
