using System.Text.Json;
using System.Text.Json.Nodes;
using BiGS.Native.Plotting;

namespace BiGS.Native.Training;

/// <summary>
/// The metrics of a run: one JSON object a line in metrics.jsonl ({"step", "loss", "accuracy", "lr", "grad_norm",
/// "tokens_per_second"} per update; {"step", "eval": {...}} per evaluation), and an SVG plot of train and eval loss.
/// A resumed run keeps the lines up to its checkpoint's step and appends after them.
/// </summary>
public sealed class MetricsLog
{
    /// <summary>File name of the metrics log in the run directory: one JSON object per line, per update or evaluation.</summary>
    public const string LogFile = "metrics.jsonl";

    /// <summary>File name of the SVG plot of the loss curves, next to the log.</summary>
    public const string PlotFile = "loss.svg";

    private readonly string? directory;
    private readonly List<StepMetrics> steps = [];
    private readonly List<(int Step, IReadOnlyDictionary<string, double> Metrics)> evaluations = [];

    /// <summary>A log writing into <paramref name="directory"/>, or only in memory when null.</summary>
    public MetricsLog(string? directory) => this.directory = directory;

    /// <summary>Every update recorded, in step order.</summary>
    public IReadOnlyList<StepMetrics> Steps => steps;

    /// <summary>Every evaluation recorded.</summary>
    public IReadOnlyList<(int Step, IReadOnlyDictionary<string, double> Metrics)> Evaluations => evaluations;

    /// <summary>Path of the log file (null in memory).</summary>
    public string? LogPath => directory is null ? null : Path.Combine(directory, LogFile);

    /// <summary>Path of the plot (null in memory).</summary>
    public string? PlotPath => directory is null ? null : Path.Combine(directory, PlotFile);

    /// <summary>Starts the log file: keeps (and reloads) the lines of an earlier session up to <paramref name="upToStep"/>, drops the rest.</summary>
    public void Start(int upToStep)
    {
        steps.Clear();
        evaluations.Clear();
        if (LogPath is not { } path) return;
        Directory.CreateDirectory(directory!);
        var kept = new List<string>();
        if (upToStep > 0 && File.Exists(path))
            foreach (string line in File.ReadLines(path))
                if (Reload(line, upToStep)) kept.Add(line);
        AtomicFile.WriteAllText(path, kept.Count == 0 ? "" : string.Join('\n', kept) + "\n");
    }

    /// <summary>Records an update and appends it as one JSON line (step, loss, accuracy, lr, grad_norm, tokens_per_second).</summary>
    public void Add(StepMetrics m)
    {
        steps.Add(m);
        Append(new JsonObject
        {
            ["step"] = m.Step,
            ["loss"] = Number(m.Loss),
            ["accuracy"] = Number(m.Accuracy),
            ["lr"] = Number(m.LearningRate),
            ["grad_norm"] = Number(m.GradientNorm),
            ["tokens_per_second"] = Number(m.TokensPerSecond),
        });
    }

    /// <summary>Records an evaluation after <paramref name="step"/> updates and appends it as one JSON line {"step", "eval": {metric: value}}.</summary>
    public void AddEvaluation(int step, IReadOnlyDictionary<string, double> metrics)
    {
        evaluations.Add((step, metrics));
        var values = new JsonObject();
        foreach (var (name, value) in metrics) values[name] = Number(value);
        Append(new JsonObject { ["step"] = step, ["eval"] = values });
    }

    /// <summary>Writes the train (and eval, where recorded) loss curves as SVG; does nothing in memory or before any update.</summary>
    public void SavePlot()
    {
        if (PlotPath is not { } path || steps.Count == 0) return;
        var plot = new SvgLinePlot("Training loss", "step", "loss")
            .Add(new PlotSeries("train loss", steps.Select(s => (double)s.Step).ToList(), steps.Select(s => s.Loss).ToList()));
        var evalLoss = evaluations.Where(e => e.Metrics.ContainsKey("loss")).ToList();
        if (evalLoss.Count > 0)
            plot.Add(new PlotSeries("eval loss", evalLoss.Select(e => (double)e.Step).ToList(), evalLoss.Select(e => e.Metrics["loss"]).ToList()));
        plot.Save(path);
    }

    private void Append(JsonObject record)
    {
        if (LogPath is not { } path) return;
        File.AppendAllText(path, record.ToJsonString() + "\n");
    }

    /// <summary>Parses a line of an earlier session back into memory; false when it is past the resumed step or unreadable.</summary>
    private bool Reload(string line, int upToStep)
    {
        JsonObject? record;
        try { record = JsonNode.Parse(line)?.AsObject(); }
        catch (JsonException) { return false; }
        if (record?["step"]?.GetValue<int>() is not { } step || step > upToStep) return false;
        if (record["eval"] is JsonObject eval)
            evaluations.Add((step, eval.ToDictionary(p => p.Key, p => Value(p.Value))));
        else
            steps.Add(new StepMetrics(step, Value(record["loss"]), Value(record["accuracy"]), Value(record["lr"]),
                Value(record["grad_norm"]), Value(record["tokens_per_second"])));
        return true;
    }

    /// <summary>JSON has no NaN or infinity: those are written as null.</summary>
    private static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    private static double Value(JsonNode? node) => node is null ? double.NaN : node.GetValue<double>();
}
