using System.Diagnostics;
using System.Globalization;
using BiGS.Native.Training;
using Spectre.Console;

namespace BiGS.Native.Cli.Progress;

/// <summary>
/// Shows training progress: a live Spectre.Console table (step, loss, masked-token accuracy, lr, tokens/s, ETA,
/// latest evaluation) on a terminal, or one plain line every few seconds (and at every evaluation and
/// checkpoint) when the output is redirected.
/// </summary>
internal sealed class TrainingDisplay : IProgress<TrainingProgress>
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LiveInterval = TimeSpan.FromMilliseconds(250);
    private readonly TextWriter plain;
    private readonly Stopwatch sinceLast = new();
    private LiveDisplayContext? live;
    private Table? table;
    private TrainingProgress? lastStep;
    private string evalText = "-";
    private string checkpointText = "-";

    private readonly string accuracyName;

    private TrainingDisplay(TextWriter plain, string accuracyName)
    {
        this.plain = plain;
        this.accuracyName = accuracyName;
    }

    /// <summary>
    /// Runs <paramref name="work"/> with the progress display; Ctrl-C cancels its token instead of killing the
    /// process (a trainer then saves a checkpoint and returns). <paramref name="accuracyName"/> labels the accuracy row.
    /// </summary>
    public static T ShowUntilCancelled<T>(Func<IProgress<TrainingProgress>, CancellationToken, T> work, string accuracyName = "masked-token accuracy")
    {
        using var cancellation = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return Show(progress => work(progress, cancellation.Token), accuracyName);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>Runs <paramref name="work"/> while showing its progress; live only when stdout is a terminal.</summary>
    public static T Show<T>(Func<IProgress<TrainingProgress>, T> work, string accuracyName = "masked-token accuracy")
    {
        var display = new TrainingDisplay(Console.Out, accuracyName);
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            return work(display);
        display.table = new Table().Border(TableBorder.Rounded).AddColumn("metric").AddColumn("value");
        display.Render();
        T result = default!;
        AnsiConsole.Live(display.table).AutoClear(false).Start(context =>
        {
            display.live = context;
            result = work(display);
            display.Render();
            context.Refresh();
        });
        return result;
    }

    /// <inheritdoc />
    public void Report(TrainingProgress value)
    {
        switch (value.Event)
        {
            case TrainingEvent.Step:
                lastStep = value;
                break;
            case TrainingEvent.Evaluation when value.Eval is { } eval:
                evalText = string.Join("  ", eval.Select(p => $"{p.Key} {Format(p.Value)}"));
                break;
            case TrainingEvent.Checkpoint:
                checkpointText = $"step {value.Step}: {value.CheckpointPath}";
                break;
        }
        bool due = !sinceLast.IsRunning || sinceLast.Elapsed >= (live is null ? PlainInterval : LiveInterval)
            || value.Event != TrainingEvent.Step || value.Step == value.TotalSteps;
        if (!due) return;
        sinceLast.Restart();
        if (live is null) WritePlain(value);
        else
        {
            Render();
            live.Refresh();
        }
    }

    private void WritePlain(TrainingProgress value)
    {
        string line = value.Event switch
        {
            TrainingEvent.Evaluation => $"eval  step {value.Step}: {evalText}",
            TrainingEvent.Checkpoint => $"saved checkpoint {checkpointText}",
            _ => StepLine(value),
        };
        plain.WriteLine(line);
    }

    private static string StepLine(TrainingProgress p) =>
        $"step {p.Step}/{p.TotalSteps}  loss {Format(p.Latest.Loss)}  acc {Format(p.Latest.Accuracy)}  lr {FormatRate(p.Latest.LearningRate)}  "
        + $"{p.Latest.TokensPerSecond:0} tok/s  elapsed {Clock(p.Elapsed)}  eta {Clock(p.Remaining)}";

    private void Render()
    {
        if (table is null) return;
        table.Rows.Clear();
        var p = lastStep;
        AddRow("step", p is null ? "starting" : $"{p.Step} / {p.TotalSteps}");
        AddRow("loss", p is null ? "-" : Format(p.Latest.Loss));
        AddRow(accuracyName, p is null ? "-" : Format(p.Latest.Accuracy));
        AddRow("learning rate", p is null ? "-" : FormatRate(p.Latest.LearningRate));
        AddRow("tokens/s", p is null ? "-" : p.Latest.TokensPerSecond.ToString("0", CultureInfo.InvariantCulture));
        AddRow("elapsed / ETA", p is null ? "-" : $"{Clock(p.Elapsed)} / {Clock(p.Remaining)}");
        AddRow("last eval", evalText);
        AddRow("last checkpoint", checkpointText);
    }

    private void AddRow(string name, string value) => table!.AddRow(new Text(name), new Text(value));

    private static string Format(double value) => double.IsFinite(value) ? value.ToString("0.0000", CultureInfo.InvariantCulture) : "-";

    /// <summary>A learning rate in short scientific notation ("2e-5"), and zero (the end of a linear decay) as "0".</summary>
    public static string FormatRate(double rate) => rate == 0 ? "0" : rate.ToString("0.###e0", CultureInfo.InvariantCulture);

    private static string Clock(TimeSpan t) => t.ToString(t.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture);
}
