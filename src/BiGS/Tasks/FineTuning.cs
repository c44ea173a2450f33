using System.Text.Json;
using System.Text.Json.Nodes;
using BiGS.Native.Modeling;
using BiGS.Native.Training;

namespace BiGS.Native.Tasks;

/// <summary>
/// Fine-tuning settings. Defaults are the authors' GLUE recipe (docs/TRAINING.md): AdamW lr 2e-5, weight decay 0.01
/// (not on biases and LayerNorm), 3 epochs, batch 16, linear warm-up over the first 10% of updates then linear
/// decay to 0, inputs padded to the model's maximum length; except that a model smaller than the authors' gets a
/// larger learning rate (<see cref="DefaultLearningRate"/>).
/// </summary>
public sealed record FineTuneOptions
{
    /// <summary>The authors' peak learning rate, for their BiGS-base and BiGS-large (hidden size 768 and 1024).</summary>
    public const float AuthorsLearningRate = 2e-5f;

    /// <summary>
    /// Peak learning rate for models smaller than the authors' (hidden size under 768), such as the default
    /// <c>bigs pretrain</c> model (4 layers, hidden 128, 600 updates): on data/tasks/testament, with the other
    /// defaults, 2e-5 reaches about 0.69 dev accuracy in three epochs and 5e-4 reaches 0.910.
    /// </summary>
    public const float SmallModelLearningRate = 5e-4f;

    /// <summary>Smallest hidden size given <see cref="AuthorsLearningRate"/>: the authors' BiGS-base.</summary>
    public const int AuthorsSmallestHiddenSize = 768;

    /// <summary>Peak learning rate; null (the default) for <see cref="DefaultLearningRate"/> of the model being tuned.</summary>
    public float? LearningRate { get; init; }

    /// <summary>Passes over the training examples.</summary>
    public int Epochs { get; init; } = 3;

    /// <summary>Examples per update (default 16).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Token limit per example (truncation longest-first); null for the model's max_position_embeddings.</summary>
    public int? MaxLength { get; init; }

    /// <summary>Pad every batch to the max length (the authors' setting) rather than to its longest example.</summary>
    public bool PadToMaxLength { get; init; } = true;

    /// <summary>Fraction of the updates spent warming the learning rate up from 0.</summary>
    public float WarmupRatio { get; init; } = 0.1f;

    /// <summary>Decoupled weight decay of weights and embeddings.</summary>
    public float WeightDecay { get; init; } = 0.01f;

    /// <summary>Global gradient-norm limit (Hugging Face Trainer's default 1); null for none.</summary>
    public float? GradientClipNorm { get; init; } = TrainerOptions.DefaultGradientClipNorm;

    /// <summary>Device to train on (null: the CPU).</summary>
    public BiGS.Native.Tensors.Device? Device { get; init; }

    /// <summary>Seed of the new classifier, dropout and the data order.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Evaluate on dev every this many updates; null for once per epoch.</summary>
    public int? EvalEvery { get; init; }

    /// <summary>Read back and log the training metrics every this many updates, as their means (default: every update).</summary>
    public int LogEvery { get; init; } = 1;

    /// <summary>Train on only the first this many examples of the training file; null for all.</summary>
    public int? MaxTrainExamples { get; init; }

    /// <summary>Examples per evaluation batch.</summary>
    public int EvalBatchSize { get; init; } = 32;

    /// <summary>
    /// The ranks of a data-parallel run (<see cref="BatchSize"/> stays the global batch; rank 0 evaluates and
    /// writes); null for a single process.
    /// </summary>
    public Distributed.DataParallel? Parallel { get; init; }

    /// <summary>
    /// The learning rate used when none is given: the authors' 2e-5 for models of their size (hidden size 768 or
    /// more), <see cref="SmallModelLearningRate"/> for smaller ones.
    /// </summary>
    public static float DefaultLearningRate(BiGSConfig config) =>
        config.HiddenSize >= AuthorsSmallestHiddenSize ? AuthorsLearningRate : SmallModelLearningRate;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (LearningRate is { } rate && !(rate > 0)) throw new ArgumentException($"--lr must be positive, got {LearningRate}");
        if (Epochs < 1) throw new ArgumentException($"--epochs must be at least 1, got {Epochs}");
        if (BatchSize < 1) throw new ArgumentException($"--batch-size must be at least 1, got {BatchSize}");
        if (MaxLength is < 4) throw new ArgumentException($"--max-length must be at least 4, got {MaxLength}");
        if (!(WarmupRatio is >= 0 and <= 1)) throw new ArgumentException($"--warmup-ratio must be in [0, 1], got {WarmupRatio}");
        if (!(WeightDecay >= 0)) throw new ArgumentException($"--weight-decay cannot be negative, got {WeightDecay}");
        if (GradientClipNorm is { } clip && !(clip > 0)) throw new ArgumentException($"the gradient clipping norm must be positive, got {clip}");
        if (EvalEvery is < 1) throw new ArgumentException($"--eval-every must be at least 1, got {EvalEvery}");
        if (LogEvery < 1) throw new ArgumentException($"--log-every must be at least 1, got {LogEvery}");
        if (MaxTrainExamples is < 1) throw new ArgumentException($"--max-train-examples must be at least 1, got {MaxTrainExamples}");
        if (EvalBatchSize < 1) throw new ArgumentException($"the evaluation batch size must be at least 1, got {EvalBatchSize}");
    }
}

/// <summary>The best development-set evaluation of a run.</summary>
/// <param name="Step">Update after which it was measured.</param>
/// <param name="Result">Its loss and metrics.</param>
public sealed record BestEvaluation(int Step, TaskEvaluationResult Result);

/// <summary>How a fine-tuning run ended.</summary>
/// <param name="Training">The trainer's result (steps, cancellation, last checkpoint, metrics log).</param>
/// <param name="Best">The best dev evaluation, whose model is in the output directory (null when none ran).</param>
public sealed record FineTuneResult(TrainingResult Training, BestEvaluation? Best);

/// <summary>
/// Fine-tunes a BiGS checkpoint on a task with the shared <see cref="Trainer"/>: reads and tokenises the train and
/// dev files, builds the classifier (<see cref="TaskModels.ForFineTuning"/>), trains with AdamW and a linear
/// schedule, evaluates on dev every epoch (or every N updates) and keeps the best model by the task's main metric
/// in the output directory: <c>config.json</c>, <c>model.safetensors</c>, the tokenizer file and
/// <c>best_eval.json</c>, beside the trainer's <c>metrics.jsonl</c>, <c>loss.svg</c> and <c>checkpoints/</c>.
/// </summary>
public sealed class FineTuning
{
    /// <summary>The kind of run directory fine-tuning writes (<see cref="RunDirectory.Kind"/>).</summary>
    public const string RunKind = "finetune";

    /// <summary>File with the best evaluation (step, metrics), written after the best model.</summary>
    public const string BestEvalFile = "best_eval.json";

    private readonly string modelDirectory;
    private readonly string outputDirectory;
    private readonly Trainer trainer;
    private readonly TaskEncoder encoder;
    private readonly IReadOnlyList<EncodedExample> devExamples;
    private readonly int evalBatchSize;
    private BestEvaluation? best;

    /// <summary>
    /// Prepares a run (reads data, loads the model, sets up the trainer); nothing trains until <see cref="Run"/>.
    /// A custom classification task without labels takes them from the training file.
    /// </summary>
    public FineTuning(GlueTask task, string dataDirectory, string modelDirectory, string outputDirectory, FineTuneOptions options)
    {
        options.Validate();
        this.modelDirectory = modelDirectory;
        this.outputDirectory = outputDirectory;
        evalBatchSize = options.EvalBatchSize;
        string trainFile = GlueTask.DataFile(dataDirectory, "train");
        DevFile = GlueTask.DataFile(dataDirectory, task.DevSplits[0]);
        if (!task.IsRegression && task.Labels is null) task = task with { Labels = TaskData.DistinctLabels(task, trainFile) };
        Task = task;

        var tokenizer = ModelTokenizer.Load(modelDirectory);
        var loaded = TaskModels.ForFineTuning(modelDirectory, task, options.Seed);
        Model = loaded.Model;
        if (options.Device is { } device) Model.To(device);
        HeadNote = loaded.HeadNote;
        ModelTokenizer.RequireFits(tokenizer, Model.Config, modelDirectory);
        int maxLength = options.MaxLength ?? Model.Config.MaxPositionEmbeddings;
        if (maxLength > Model.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"--max-length {maxLength} exceeds the model's max_position_embeddings {Model.Config.MaxPositionEmbeddings}");
        encoder = new TaskEncoder(tokenizer, maxLength, options.PadToMaxLength);

        var trainExamples = TaskData.Read(task, trainFile);
        if (options.MaxTrainExamples is { } limit) trainExamples = [.. trainExamples.Take(limit)];
        TrainExamples = trainExamples.Count;
        devExamples = encoder.Encode(TaskData.Read(task, DevFile));
        var data = new TaskBatchSource(encoder.Encode(trainExamples), encoder, task.IsRegression, options.BatchSize, options.Seed + 1);
        RequireEveryRankHasExamples(trainExamples.Count, options);
        TotalSteps = options.Epochs * data.BatchesPerEpoch;

        LearningRate = options.LearningRate ?? FineTuneOptions.DefaultLearningRate(Model.Config);
        var optimizer = AdamW.ForModel(Model, new AdamWOptions { Beta1 = 0.9f, Beta2 = 0.999f, Epsilon = 1e-6f, WeightDecay = options.WeightDecay });
        int warmup = (int)Math.Round(options.WarmupRatio * TotalSteps);
        var schedule = new LearningRateSchedule(LearningRate, warmup, TotalSteps, ScheduleKind.Linear);
        trainer = new Trainer(Model, data, optimizer, schedule, new ModelLossObjective(), new TrainerOptions
        {
            Steps = TotalSteps,
            GradientClipNorm = options.GradientClipNorm,
            EvalEvery = options.EvalEvery ?? data.BatchesPerEpoch,
            LogEvery = options.LogEvery,
            OutputDirectory = outputDirectory,
            RunKind = RunKind,
            TokenizerFile = ModelTokenizer.FileIn(modelDirectory),
            Parallel = options.Parallel,
        })
        {
            Evaluate = EvaluateAndKeepBest,
        };
    }

    /// <summary>The task (with its labels resolved).</summary>
    public GlueTask Task { get; }

    /// <summary>The model being fine-tuned.</summary>
    public BiGSForSequenceClassification Model { get; }

    /// <summary>Why (part of) the classifier is newly initialised, or null when it came from the checkpoint.</summary>
    public string? HeadNote { get; }

    /// <summary>The development file the best model is chosen on.</summary>
    public string DevFile { get; }

    /// <summary>Examples trained on per epoch.</summary>
    public int TrainExamples { get; }

    /// <summary>Examples in the development file.</summary>
    public int DevExamples => devExamples.Count;

    /// <summary>Tokens per example after truncation (and padding, when on).</summary>
    public int MaxLength => encoder.MaxLength;

    /// <summary>Updates of the whole run: epochs × ceil(train examples / batch size).</summary>
    public int TotalSteps { get; }

    /// <summary>The peak learning rate in use: the one given, or the model's <see cref="FineTuneOptions.DefaultLearningRate"/>.</summary>
    public float LearningRate { get; }

    /// <summary>
    /// Continues an interrupted run from <paramref name="checkpoint"/> (a checkpoint, or a run directory: its
    /// newest; default: the output directory's newest) with its model, optimizer and data position, and the best
    /// evaluation recorded in the output directory. Returns the checkpoint directory.
    /// </summary>
    public string Resume(string? checkpoint = null)
    {
        string directory = trainer.Resume(checkpoint ?? outputDirectory);
        best = ReadBest();
        return directory;
    }

    /// <summary>Trains; cancellation stops between updates and saves a checkpoint (the best model is already saved).</summary>
    public FineTuneResult Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        var training = trainer.Run(progress, cancellation);
        return new FineTuneResult(training, best);
    }

    /// <summary>Scores the dev set; a better selection score than any before saves the model (first time: always).</summary>
    private IReadOnlyDictionary<string, double> EvaluateAndKeepBest(BiGSPreTrainedModel model)
    {
        var result = TaskEvaluation.Evaluate(model, Task, encoder, devExamples, evalBatchSize);
        if (best is null || IsBetter(result.Scores.Selection, best.Result.Scores.Selection))
        {
            best = new BestEvaluation(trainer.Step, result);
            SaveBest(model, best);
        }
        return result.ToDictionary();
    }

    /// <summary>Each rank computes a share of every batch, the epoch's last (partial) batch too, so it needs one example per rank.</summary>
    private static void RequireEveryRankHasExamples(int examples, FineTuneOptions options)
    {
        int ranks = options.Parallel?.Communicator.Size ?? 1, last = examples % options.BatchSize;
        if (last is > 0 && last < ranks)
            throw new ArgumentException($"the last batch of each epoch has {last} of the {examples} training examples, fewer than the {ranks} ranks; "
                + "change --batch-size or --max-train-examples so that every rank gets one");
    }

    /// <summary>Higher is better for every GLUE metric; any number beats NaN (a correlation of constant predictions).</summary>
    private static bool IsBetter(double candidate, double incumbent) =>
        candidate > incumbent || (double.IsNaN(incumbent) && !double.IsNaN(candidate));

    /// <summary>
    /// Writes the model (model.safetensors then config.json, each atomically: the config is the same at every save,
    /// so the pair is always consistent), the tokenizer file, then best_eval.json.
    /// </summary>
    private void SaveBest(BiGSPreTrainedModel model, BestEvaluation evaluation)
    {
        model.SavePretrained(outputDirectory);
        ModelTokenizer.CopyFile(modelDirectory, outputDirectory);
        var metrics = new JsonObject();
        foreach (var (name, value) in evaluation.Result.ToDictionary())
            metrics[name] = double.IsFinite(value) ? value : null;
        var record = new JsonObject
        {
            ["task"] = Task.Name,
            ["step"] = evaluation.Step,
            ["dev_file"] = Path.GetFileName(DevFile),
            ["main_metric"] = Metrics.Key(Task.MainMetric),
            ["selected_by"] = "mean of " + string.Join(", ", Task.Metrics.Select(Metrics.Key)),
            ["metrics"] = metrics,
        };
        AtomicFile.WriteAllText(Path.Combine(outputDirectory, BestEvalFile), record.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The best evaluation recorded in the output directory by an earlier session, if any.</summary>
    private BestEvaluation? ReadBest()
    {
        string path = Path.Combine(outputDirectory, BestEvalFile);
        if (!File.Exists(path)) return null;
        var record = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"{path}: not a JSON object");
        var metrics = record["metrics"]?.AsObject() ?? throw new InvalidDataException($"{path}: no \"metrics\"");
        double Read(TaskMetric metric) => metrics[Metrics.Key(metric)]?.GetValue<double>() ?? double.NaN;
        var scores = new TaskScores([.. Task.Metrics.Select(m => (m, Read(m)))]);
        double loss = metrics["loss"]?.GetValue<double>() ?? double.NaN;
        int step = record["step"]?.GetValue<int>() ?? throw new InvalidDataException($"{path}: no \"step\"");
        return new BestEvaluation(step, new TaskEvaluationResult(scores, loss));
    }
}
