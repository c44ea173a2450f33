using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using BiGS.Native.Tasks;

namespace BiGS.Native.Cli.Commands;

/// <summary>
/// <c>bigs eval</c>: scores a fine-tuned sequence-classification model on a task's split with the task's metrics,
/// batched, without gradients, padding to the model's maximum length as the authors do (or less, by option).
/// </summary>
public static class EvalCommand
{
    /// <summary>The <c>bigs eval</c> command, its options bound to their handler, for the root command to add.</summary>
    public static Command Create()
    {
        var task = TaskOptions.Create();
        var model = new Option<string>("--model") { Description = "Fine-tuned model directory (config.json + model.safetensors; vocab.txt/tokenizer.json if not bert-base-uncased)", Required = true };
        var data = new Option<string>("--data") { Description = "Task data directory ({split}.tsv or {split}.csv)", Required = true };
        var split = new Option<string>("--split") { Description = "Split to score: dev (MNLI: dev_matched and dev_mismatched), test, or any file stem", DefaultValueFactory = _ => "dev" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var batchSize = new Option<int>("--batch-size") { Description = "Examples per batch", DefaultValueFactory = _ => 32 };
        var maxLength = new Option<int?>("--max-length") { Description = "Token limit per example (default: the model's max_position_embeddings)" };
        var noPad = new Option<bool>("--no-pad") { Description = "Pad each batch to its longest example instead of to --max-length" };
        var device = DeviceOption.Create();

        var command = new Command("eval", "Score a fine-tuned model on a GLUE-style task (accuracy, F1, Matthews, Pearson, Spearman)");
        foreach (var option in task.All.Concat([model, data, split, json, batchSize, maxLength, noPad, device])) command.Options.Add(option);
        command.SetAction(r => CliErrors.Guard(() => Run(task.Read(r), r.GetValue(model)!, r.GetValue(data)!, r.GetValue(split)!,
            r.GetValue(json), r.GetValue(batchSize), r.GetValue(maxLength), !r.GetValue(noPad), r.GetValue(device))));
        return command;
    }

    private static int Run(GlueTask task, string modelPath, string dataDirectory, string split, bool asJson, int batchSize, int? maxLength, bool pad, string? device)
    {
        string modelDirectory = ModelPath.Resolve(modelPath);
        if (batchSize < 1) throw new ArgumentException($"--batch-size must be at least 1, got {batchSize}");
        var files = task.SplitFiles(split).Select(stem => GlueTask.DataFile(dataDirectory, stem)).ToList();
        var (model, resolvedTask) = TaskModels.ForEvaluation(modelDirectory, task);
        model.To(DeviceOption.Resolve(device));
        var tokenizer = ModelTokenizer.Load(modelDirectory);
        ModelTokenizer.RequireFits(tokenizer, model.Config, modelDirectory);
        int length = maxLength ?? model.Config.MaxPositionEmbeddings;
        if (length > model.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"--max-length {length} exceeds the model's max_position_embeddings {model.Config.MaxPositionEmbeddings}");
        var encoder = new TaskEncoder(tokenizer, length, pad);

        var results = new JsonObject();
        foreach (string file in files)
        {
            var examples = encoder.Encode(TaskData.Read(resolvedTask, file));
            var result = TaskEvaluation.Evaluate(model, resolvedTask, encoder, examples, batchSize);
            string name = Path.GetFileNameWithoutExtension(file);
            if (!asJson) Console.WriteLine($"{name} ({examples.Count} examples): {result.Scores}, loss {result.Loss.ToString("0.0000", CultureInfo.InvariantCulture)}");
            results[name] = ToJson(result, examples.Count);
        }
        if (asJson)
        {
            var report = new JsonObject
            {
                ["task"] = resolvedTask.Name,
                ["model"] = modelDirectory,
                ["max_length"] = length,
                ["padding"] = pad ? "max_length" : "longest",
                ["results"] = results,
            };
            Console.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        return 0;
    }

    private static JsonObject ToJson(TaskEvaluationResult result, int examples)
    {
        var values = new JsonObject { ["examples"] = examples };
        foreach (var (name, value) in result.ToDictionary())
            values[name] = double.IsFinite(value) ? value : null;
        return values;
    }
}

/// <summary>The --task option and the column options of a custom task, shared by <c>bigs finetune</c> and <c>bigs eval</c>.</summary>
internal sealed class TaskOptions
{
    private readonly Option<string> task = new("--task") { Description = "cola, sst2, mrpc, stsb, qqp, mnli, qnli, rte, wnli, or custom (any TSV/CSV with a header)", Required = true };
    private readonly Option<string?> textColumn = new("--text-column") { Description = "custom: header name of the text" };
    private readonly Option<string?> textPairColumn = new("--text-pair-column") { Description = "custom: header name of the second text of a pair" };
    private readonly Option<string?> labelColumn = new("--label-column") { Description = "custom: header name of the label" };
    private readonly Option<bool> regression = new("--regression") { Description = "custom: the label is a number (one output, MSE loss)" };

    private TaskOptions() => task.AcceptOnlyFromAmong([.. GlueTasks.Names]);

    public static TaskOptions Create() => new();

    /// <summary>Every option, to add to a command.</summary>
    public IEnumerable<Option> All => [task, textColumn, textPairColumn, labelColumn, regression];

    /// <summary>The task the options describe; column options are only accepted with --task custom.</summary>
    public GlueTask Read(ParseResult r)
    {
        string name = r.GetValue(task)!;
        string? text = r.GetValue(textColumn), pair = r.GetValue(textPairColumn), label = r.GetValue(labelColumn);
        if (name != GlueTasks.CustomName)
        {
            if (text is not null || pair is not null || label is not null || r.GetValue(regression))
                throw new ArgumentException($"--text-column, --text-pair-column, --label-column and --regression are for --task custom; task '{name}' has fixed columns");
            return GlueTasks.Get(name);
        }
        if (text is null || label is null) throw new ArgumentException("--task custom needs --text-column and --label-column (and --text-pair-column for pairs)");
        return GlueTasks.Custom(text, pair, label, r.GetValue(regression));
    }
}
