using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using BiGS.Native.Cli.Progress;
using BiGS.Native.Tasks;
using BiGS.Native.Training;

namespace BiGS.Native.Cli.Commands;

/// <summary>
/// <c>bigs finetune</c>: fine-tunes a BiGS checkpoint (masked-LM, pretraining or classification) on a GLUE-style
/// task with the authors' recipe, evaluating on dev every epoch and keeping the best model in --out.
/// </summary>
public static class FinetuneCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var defaults = new FineTuneOptions();
        var task = TaskOptions.Create();
        var data = new Option<string>("--data") { Description = "Task data directory (train and dev .tsv or .csv)", Required = true };
        var model = new Option<string>("--model") { Description = "Checkpoint to start from (MLM/pretraining: a new classifier; classification: its head if the labels match)", Required = true };
        var output = new Option<string>("--out") { Description = "Output directory: the best model (config.json, model.safetensors, best_eval.json), metrics.jsonl, loss.svg, checkpoints/", Required = true };
        var lr = new Option<float>("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training data", DefaultValueFactory = _ => defaults.Epochs };
        var batchSize = new Option<int>("--batch-size") { Description = "Examples per update", DefaultValueFactory = _ => defaults.BatchSize };
        var maxLength = new Option<int?>("--max-length") { Description = "Token limit per example (default: the model's max_position_embeddings)" };
        var noPad = new Option<bool>("--no-pad") { Description = "Pad each batch to its longest example instead of to --max-length" };
        var warmupRatio = new Option<float>("--warmup-ratio") { Description = "Fraction of updates of linear warm-up", DefaultValueFactory = _ => defaults.WarmupRatio };
        var weightDecay = new Option<float>("--weight-decay") { Description = "AdamW decay (not on biases and LayerNorm)", DefaultValueFactory = _ => defaults.WeightDecay };
        var gradClip = new Option<float>("--grad-clip") { Description = "Global gradient norm limit (0: off)", DefaultValueFactory = _ => defaults.GradientClipNorm ?? 0 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the new classifier, dropout and data order", DefaultValueFactory = _ => defaults.Seed };
        var evalEvery = new Option<int?>("--eval-every") { Description = "Evaluate on dev every N updates (default: every epoch)" };
        var maxTrain = new Option<int?>("--max-train-examples") { Description = "Train on only the first N examples of train" };
        var resume = new Option<bool>("--resume") { Description = "Continue the interrupted run in --out (same options)" };

        var command = new Command("finetune", "Fine-tune BiGS on a GLUE-style task, keeping the best model by the task's metric");
        foreach (var option in task.All.Concat([data, model, output, lr, epochs, batchSize, maxLength, noPad, warmupRatio, weightDecay,
                     gradClip, seed, evalEvery, maxTrain, resume]))
            command.Options.Add(option);
        command.SetAction(r => CliErrors.Guard(() => Run(task.Read(r), r.GetValue(data)!, r.GetValue(model)!, r.GetValue(output)!,
            new FineTuneOptions
            {
                LearningRate = r.GetValue(lr),
                Epochs = r.GetValue(epochs),
                BatchSize = r.GetValue(batchSize),
                MaxLength = r.GetValue(maxLength),
                PadToMaxLength = !r.GetValue(noPad),
                WarmupRatio = r.GetValue(warmupRatio),
                WeightDecay = r.GetValue(weightDecay),
                GradientClipNorm = r.GetValue(gradClip) is > 0 and var clip ? clip : null,
                Seed = r.GetValue(seed),
                EvalEvery = r.GetValue(evalEvery),
                MaxTrainExamples = r.GetValue(maxTrain),
            }, r.GetValue(resume))));
        return command;
    }

    private static int Run(GlueTask task, string dataDirectory, string modelDirectory, string outputDirectory, FineTuneOptions options, bool resume)
    {
        options.Validate();
        CliErrors.RequireWritableDirectory(outputDirectory, "--out");
        var clock = Stopwatch.StartNew();
        var run = new FineTuning(task, dataDirectory, modelDirectory, outputDirectory, options);
        Console.WriteLine($"task {run.Task.Name}: {run.TrainExamples} training examples, {run.DevExamples} dev examples ({Path.GetFileName(run.DevFile)}); "
            + $"max length {run.MaxLength} ({(options.PadToMaxLength ? "padded to it" : "padded per batch")})");
        Console.WriteLine($"model {modelDirectory}: {run.Model.Config.NumHiddenLayers} layers, hidden {run.Model.Config.HiddenSize}, {run.Model.ParameterCount():N0} parameters");
        if (run.HeadNote is not null) Console.WriteLine(run.HeadNote);
        Console.WriteLine($"{run.TotalSteps} updates ({options.Epochs} epochs, batch {options.BatchSize}), lr {options.LearningRate.ToString(CultureInfo.InvariantCulture)}, "
            + $"warm-up {options.WarmupRatio.ToString(CultureInfo.InvariantCulture)}, weight decay {options.WeightDecay.ToString(CultureInfo.InvariantCulture)}, seed {options.Seed}");
        if (resume) Console.WriteLine($"resumed from {run.Resume()}");

        var result = TrainingDisplay.ShowUntilCancelled((progress, cancellation) => run.Run(progress, cancellation), accuracyName: "training accuracy");
        var training = result.Training;
        Console.WriteLine(training.Cancelled
            ? $"interrupted at step {training.Step}; continue with the same command and --resume (checkpoint {training.CheckpointPath})"
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
