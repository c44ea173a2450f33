using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using BiGS.Native.Cli.Progress;
using BiGS.Native.Distributed;
using BiGS.Native.Tasks;
using BiGS.Native.Training;

namespace BiGS.Native.Cli.Commands;

/// <summary>
/// <c>bigs finetune</c>: fine-tunes a BiGS checkpoint (masked-LM, pretraining or classification) on a GLUE-style
/// task with the authors' recipe, evaluating on dev every epoch and keeping the best model in --out.
/// </summary>
public static class FinetuneCommand
{
    private const string Kind = FineTuning.RunKind;

    /// <summary>The command's options, each declared once with its default (the authors' recipe) and range.</summary>
    private sealed class Options : CommandOptions
    {
        private static readonly FineTuneOptions Defaults = new();

        public TaskOptions Task { get; } = TaskOptions.Create();
        public Option<string> Data { get; } = new("--data") { Description = "Task data directory (train and dev .tsv or .csv)", Required = true };
        public Option<string> Model { get; } = new("--model") { Description = "Checkpoint to start from (MLM/pretraining: a new classifier; classification: its head if the labels match)", Required = true };
        public Option<string?> Out { get; } = new("--out") { Description = "Run directory: the best model (config.json, model.safetensors, best_eval.json), metrics.jsonl, loss.svg, checkpoints/ (default with --resume DIR: DIR's run directory)" };
        public Option<bool> Overwrite { get; } = RunOutput.CreateOverwriteOption(Kind);
        public Option<float?> LearningRate { get; } = new Option<float?>("--lr") { Description = "Peak learning rate (default: the authors' 2e-5 for models of hidden size 768 or more, 5e-4 for smaller ones)" }.Positive();
        public Option<int> Epochs { get; } = new Option<int>("--epochs") { Description = "Passes over the training data", DefaultValueFactory = _ => Defaults.Epochs }.AtLeast(1);
        public Option<int> BatchSize { get; } = new Option<int>("--batch-size") { Description = "Examples per update", DefaultValueFactory = _ => Defaults.BatchSize }.AtLeast(1);
        public Option<int?> MaxLength { get; } = new Option<int?>("--max-length") { Description = "Token limit per example (default: the model's max_position_embeddings)" }.AtLeast(4);
        public Option<bool> NoPad { get; } = new("--no-pad") { Description = "Pad each batch to its longest example instead of to --max-length" };
        public Option<float> WarmupRatio { get; } = new Option<float>("--warmup-ratio") { Description = "Fraction of updates of linear warm-up", DefaultValueFactory = _ => Defaults.WarmupRatio }.InRange(0, 1, includeHigh: true);
        public Option<float> WeightDecay { get; } = new Option<float>("--weight-decay") { Description = "AdamW decay (not on biases and LayerNorm)", DefaultValueFactory = _ => Defaults.WeightDecay }.NonNegative();
        public Option<float> GradClip { get; } = GradClipOption.Create();
        public Option<ulong> Seed { get; } = new("--seed") { Description = "Seed of the new classifier, dropout and data order", DefaultValueFactory = _ => Defaults.Seed };
        public Option<int?> EvalEvery { get; } = new Option<int?>("--eval-every") { Description = "Evaluate on dev every N updates (default: every epoch)" }.AtLeast(1);
        public Option<int> LogEvery { get; } = LogEveryOption.Create();
        public Option<int?> MaxTrainExamples { get; } = new Option<int?>("--max-train-examples") { Description = "Train on only the first N examples of train" }.AtLeast(1);
        public Option<string?> Resume { get; } = new("--resume")
        {
            Description = "Continue an interrupted run (same options) from its run directory or a checkpoint in it; alone: from --out",
            Arity = ArgumentArity.ZeroOrOne,
        };
        public Option<string?> Device { get; } = DeviceOption.Create();
        public Option<float> CollectiveTimeout { get; } = DistributedRun.CreateTimeoutOption();
        public Option<string> Precision { get; } = PrecisionOption.Create();
        public Option<int> Zero { get; } = DistributedRun.CreateZeroOption();

        /// <summary>The fine-tuning settings the options give.</summary>
        public FineTuneOptions Read(ParseResult r) => new()
        {
            LearningRate = r.GetValue(LearningRate),
            Epochs = r.GetValue(Epochs),
            BatchSize = r.GetValue(BatchSize),
            MaxLength = r.GetValue(MaxLength),
            PadToMaxLength = !r.GetValue(NoPad),
            WarmupRatio = r.GetValue(WarmupRatio),
            WeightDecay = r.GetValue(WeightDecay),
            GradientClipNorm = GradClipOption.Read(r, GradClip),
            Seed = r.GetValue(Seed),
            EvalEvery = r.GetValue(EvalEvery),
            LogEvery = r.GetValue(LogEvery),
            MaxTrainExamples = r.GetValue(MaxTrainExamples),
            Device = DeviceOption.Resolve(r.GetValue(Device)),
        };
    }

    /// <summary>The <c>bigs finetune</c> command, its options bound to their handler, for the root command to add.</summary>
    public static Command Create()
    {
        var options = new Options();
        var command = new Command("finetune", "Fine-tune BiGS on a GLUE-style task, keeping the best model by the task's metric");
        foreach (var option in options.Task.All) command.Options.Add(option);
        options.AddTo(command);
        command.SetAction(r => CliErrors.Guard(() => Run(options, r)));
        return command;
    }

    /// <summary>The run directory and, when continuing, the checkpoint: --out, else the --resume checkpoint's run directory.</summary>
    private static (string Output, string? ResumeFrom) Locate(Options o, ParseResult r)
    {
        bool resuming = r.GetResult(o.Resume) is not null;
        string? resumeFrom = resuming ? r.GetValue(o.Resume) ?? r.GetValue(o.Out) : null;
        string? output = r.GetValue(o.Out) ?? (resumeFrom is null ? null : RunDirectory.Containing(TrainingCheckpoint.FindLatest(resumeFrom)));
        return output is null
            ? throw new ArgumentException(resuming ? "--resume needs a run directory (or --out)" : "give --out, the run directory to write")
            : (output, resumeFrom);
    }

    private static int Run(Options o, ParseResult r)
    {
        using var scope = PrecisionOption.Use(r, o.Precision);
        return DistributedRun.Run(r.GetValue(o.CollectiveTimeout), r.GetValue(o.Zero), parallel => Train(o, r, parallel));
    }

    private static int Train(Options o, ParseResult r, DataParallel? parallel)
    {
        var task = o.Task.Read(r);
        var options = o.Read(r) with { Parallel = parallel };
        DistributedRun.RequireDivisible(options.BatchSize, parallel);
        string dataDirectory = r.GetValue(o.Data)!, modelDirectory = ModelPath.Resolve(r.GetValue(o.Model)!);
        var (outputDirectory, resumeFrom) = Locate(o, r);
        RunOutput.RequireApart(outputDirectory, modelDirectory, "--model");
        RunOutput.RequireClaimable(outputDirectory, Kind, r.GetValue(o.Overwrite));
        var clock = Stopwatch.StartNew();
        var run = new FineTuning(task, dataDirectory, modelDirectory, outputDirectory, options);
        // rank 0 alone claims and writes the run directory
        var runDirectory = parallel is { IsRoot: false } ? null : RunOutput.Claim(outputDirectory, Kind, r.GetValue(o.Overwrite));
        Console.WriteLine($"task {run.Task.Name}: {run.TrainExamples} training examples, {run.DevExamples} dev examples ({Path.GetFileName(run.DevFile)}); "
            + $"max length {run.MaxLength} ({(options.PadToMaxLength ? "padded to it" : "padded per batch")})");
        Console.WriteLine($"model {modelDirectory}: {run.Model.Config.NumHiddenLayers} layers, hidden {run.Model.Config.HiddenSize}, {run.Model.ParameterCount():N0} parameters");
        if (run.HeadNote is not null) Console.WriteLine(run.HeadNote);
        Console.WriteLine($"{run.TotalSteps} updates ({options.Epochs} epoch{(options.Epochs == 1 ? "" : "s")}, batch {options.BatchSize}), lr {TrainingDisplay.FormatRate(run.LearningRate)}, "
            + $"warm-up {options.WarmupRatio.ToString(CultureInfo.InvariantCulture)}, weight decay {options.WeightDecay.ToString(CultureInfo.InvariantCulture)}, seed {options.Seed}");
        if (resumeFrom is not null) Console.WriteLine($"resumed from {run.Resume(resumeFrom)}");

        var result = TrainingDisplay.ShowUntilCancelled((progress, cancellation) => run.Run(progress, cancellation), accuracyName: "training accuracy");
        var training = result.Training;
        if (parallel is not null) DistributedRun.PrintReductionCost(parallel);
        Console.WriteLine(training.Cancelled
            ? $"interrupted at step {training.Step}; continue with: {RunOutput.ResumeCommand(r, runDirectory?.Path ?? outputDirectory)}"
            : $"finished {training.Step} updates in {clock.Elapsed.TotalMinutes.ToString("0.0", CultureInfo.InvariantCulture)} min");
        if (result.Best is { } best)
            Console.WriteLine($"best dev ({Path.GetFileName(run.DevFile)}, step {best.Step}): {best.Result.Scores}; model saved in {outputDirectory}");
        else
            Console.WriteLine("no evaluation ran, so no best model was saved");
        Console.WriteLine($"metrics log: {training.Log.LogPath}");
        Console.WriteLine($"loss plot: {training.Log.PlotPath}");
        return training.Cancelled ? 130 : 0;
    }
}
