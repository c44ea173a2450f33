using System.Diagnostics;
using BiGS.Native.Autograd;
using BiGS.Native.Distributed;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;

namespace BiGS.Native.Training;

/// <summary>How a <see cref="Trainer.Run"/> ended.</summary>
/// <param name="Step">Updates done (over all sessions).</param>
/// <param name="Cancelled">True when the cancellation token stopped the run early (a checkpoint was still saved).</param>
/// <param name="CheckpointPath">The last checkpoint written, when there is an output directory.</param>
/// <param name="Log">Every update and evaluation of the run.</param>
public sealed record TrainingResult(int Step, bool Cancelled, string? CheckpointPath, MetricsLog Log);

/// <summary>
/// The training loop shared by masked-LM pretraining and fine-tuning. Each update draws
/// <see cref="TrainerOptions.AccumulationSteps"/> micro-batches from the <see cref="IBatchSource"/>, back-propagates
/// each one's mean loss weighted by its share of the update's targets (so the summed gradient is that of the
/// mean over all of them, as one big batch would give), clips the global gradient norm, and applies AdamW at the
/// scheduled rate. Every update runs inside a <see cref="TensorScope"/>, so its intermediates return to the pool.
/// On a GPU nothing of an update is read back: its loss, accuracy hits and gradient norm add up on the device and
/// are read every <see cref="TrainerOptions.LogEvery"/> updates, when they are logged.
/// Evaluations, the metrics log, the plot and checkpoints follow the options; cancellation ends the loop between
/// updates and still saves a checkpoint.
/// With <see cref="TrainerOptions.Parallel"/> every rank runs this loop on its shard of each batch (the targets
/// counted over the whole batch, so the weights sum to 1 over all ranks), the last micro-batch's backward pass
/// hands each finished gradient to the bucketed all-reduce, and the logged loss and counts are summed over the
/// ranks; rank 0 alone evaluates and writes the log, plot and checkpoints.
/// </summary>
public sealed class Trainer
{
    /// <summary>The folder of the output directory that holds checkpoints.</summary>
    public const string CheckpointFolder = RunDirectory.CheckpointFolder;

    private readonly BiGSPreTrainedModel model;
    private readonly IBatchSource data;
    private readonly AdamW optimizer;
    private readonly LearningRateSchedule schedule;
    private readonly ITrainingObjective objective;
    private readonly TrainerOptions options;
    private readonly MetricsLog log;
    private RunDirectory? run;
    private readonly DataParallel? parallel;

    /// <summary>Sets up a run; nothing happens until <see cref="Run"/>.</summary>
    public Trainer(BiGSPreTrainedModel model, IBatchSource data, AdamW optimizer, LearningRateSchedule schedule,
        ITrainingObjective objective, TrainerOptions options)
    {
        options.Validate();
        this.model = model;
        this.data = data;
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.objective = objective;
        this.options = options;
        parallel = options.Parallel;
        parallel?.Attach(optimizer);
        log = new MetricsLog(IsRoot ? options.OutputDirectory : null);
    }

    /// <summary>
    /// Called with the model in evaluation mode and gradients off; returns named metrics ("loss" is plotted).
    /// Null for no evaluation. It must not draw from the model's or the data's generators.
    /// </summary>
    public Func<BiGSPreTrainedModel, IReadOnlyDictionary<string, double>>? Evaluate { get; init; }

    /// <summary>Updates done so far (the step a resumed run continues from).</summary>
    public int Step { get; private set; }

    /// <summary>Where checkpoints go (null without an output directory).</summary>
    public string? CheckpointRoot => options.OutputDirectory is { } directory ? Path.Combine(directory, CheckpointFolder) : null;

    /// <summary>
    /// Continues from a checkpoint (a step-NNNNNN directory, or a run directory: its newest checkpoint is used):
    /// model weights, optimizer state, model RNG and data position. Returns the checkpoint's directory.
    /// </summary>
    public string Resume(string path)
    {
        string directory = TrainingCheckpoint.FindLatest(path);
        Step = TrainingCheckpoint.Restore(directory, model, optimizer, data);
        if (Step > options.Steps)
            throw new ArgumentException($"{directory} is at step {Step}, past the run's {options.Steps} steps");
        return directory;
    }

    /// <summary>Trains up to <see cref="TrainerOptions.Steps"/> updates, reporting to <paramref name="progress"/>.</summary>
    public TrainingResult Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        // opened when the run starts writing: the run directory is made (or stale temporaries cleaned) only then
        run ??= IsRoot && options.OutputDirectory is { } directory ? RunDirectory.Open(directory, options.RunKind) : null;
        log.Start(Step);
        model.Train();
        var clock = Stopwatch.StartNew();
        int firstStep = Step;
        StepMetrics latest = new(Step, double.NaN, double.NaN, 0, 0, 0);
        string? checkpoint = null;
        bool cancelled = false;
        int lastEval = -1;
        var window = new MetricsWindow(model.Device);

        TrainingProgress Report(TrainingEvent kind) => new()
        {
            Event = kind, Step = Step, TotalSteps = options.Steps, Latest = latest, Elapsed = clock.Elapsed,
            Remaining = Step == firstStep ? TimeSpan.Zero : clock.Elapsed / (Step - firstStep) * (options.Steps - Step),
        };

        while (Step < options.Steps)
        {
            if (StopRequested(cancellation))
            {
                cancelled = true;
                if (window.Updates > 0) latest = ReadMetrics(window);
                break;
            }
            TrainStep(window);
            if (Step % options.LogEvery == 0 || Step == options.Steps)
            {
                latest = ReadMetrics(window);
                progress?.Report(Report(TrainingEvent.Step));
            }
            if (options.EvalEvery > 0 && Step % options.EvalEvery == 0)
            {
                progress?.Report(Report(TrainingEvent.Evaluation) with { Eval = RunEvaluation() });
                lastEval = Step;
            }
            if (options.SaveEvery > 0 && Step % options.SaveEvery == 0 && SaveCheckpoint() is { } saved)
            {
                checkpoint = saved;
                progress?.Report(Report(TrainingEvent.Checkpoint) with { CheckpointPath = saved });
            }
        }
        if (!cancelled && lastEval != Step && Evaluate is not null)
            progress?.Report(Report(TrainingEvent.Evaluation) with { Eval = RunEvaluation() });
        if (SaveCheckpoint() is { } final && final != checkpoint)
        {
            checkpoint = final;
            progress?.Report(Report(TrainingEvent.Checkpoint) with { CheckpointPath = final });
        }
        log.SavePlot();
        return new TrainingResult(Step, cancelled, checkpoint, log);
    }

    /// <summary>
    /// One update: accumulate weighted micro-batch gradients, clip, step the optimizer; its loss, hits and gradient norm
    /// go to <paramref name="window"/> on the device.
    /// </summary>
    private void TrainStep(MetricsWindow window)
    {
        long started = Stopwatch.GetTimestamp();
        using var scope = new TensorScope();
        optimizer.ZeroGrad();
        var batches = new List<BiGSInput>(options.AccumulationSteps);
        for (int i = 0; i < options.AccumulationSteps; i++) batches.Add(data.Next());
        int totalTargets = batches.Sum(objective.CountTargets);
        if (totalTargets == 0) throw new InvalidOperationException($"update {Step + 1} has no labelled targets");
        for (int i = 0; i < batches.Count; i++)
        {
            using var microScope = new TensorScope();
            (BiGSInput rows, BatchShard? shard) = parallel is null ? (batches[i], null) : parallel.Shard(batches[i]);
            ObjectiveResult result;
            using (shard) result = objective.Compute(model, rows);
            // the update's loss is sum_i (n_i / N) loss_i = the mean over all N targets (of all ranks' shards)
            float weight = (float)result.Targets / totalTargets;
            Action<Variable>? reduceWhenReady = parallel is not null && i == batches.Count - 1 ? parallel.GradientReady : null;
            // releaseGraph: each op's output and saved tensors are freed once the backward is past it (peak memory)
            result.Loss.Backward(Tensor.Full(result.Loss.Value.Device, weight, result.Loss.Value.ShapeArray()), releaseGraph: true, reduceWhenReady);
            window.AddMicroBatch(result, weight, rows.InputIds.Count);
        }
        parallel?.FinishGradients();
        var norm = options.GradientClipNorm is { } clip
            ? GradientClipping.ClipGlobalNorm(optimizer.Parameters(), clip)
            : GradientClipping.GlobalNorm(optimizer.Parameters());
        optimizer.Step(schedule.At(Step + 1));
        parallel?.ShareUpdatedParameters();
        Step++;
        var took = Stopwatch.GetElapsedTime(started);
        window.AddUpdate(norm, took);
        parallel?.StepDone(took.TotalSeconds);
    }

    /// <summary>Reads and logs the updates since the last read; a loss that is not finite ends the run.</summary>
    private StepMetrics ReadMetrics(MetricsWindow window)
    {
        int first = Step - window.Updates + 1;
        var metrics = window.Read(Step, schedule.At(Step), parallel);
        if (!double.IsFinite(metrics.Loss))
            throw new InvalidOperationException($"the loss became {metrics.Loss} {(first == Step ? $"at update {Step}" : $"in updates {first}-{Step}")}; lower the learning rate or enable gradient clipping");
        log.Add(metrics);
        return metrics;
    }

    /// <summary>True when this process writes the run's files and evaluates: always, except on ranks other than 0.</summary>
    private bool IsRoot => parallel?.IsRoot ?? true;

    /// <summary>Cancellation of this process, or of any rank when parallel (every rank stops at the same update).</summary>
    private bool StopRequested(CancellationToken cancellation) =>
        parallel?.AnyRank(cancellation.IsCancellationRequested) ?? cancellation.IsCancellationRequested;

    private IReadOnlyDictionary<string, double>? RunEvaluation()
    {
        if (Evaluate is null || !IsRoot) return null;
        model.Eval();
        try
        {
            using var noGrad = GradMode.NoGrad();
            var metrics = Evaluate(model);
            log.AddEvaluation(Step, metrics);
            log.SavePlot();
            return metrics;
        }
        finally
        {
            model.Train();
        }
    }

    /// <summary>Rank 0 saves; with the optimizer state sharded (ZeRO stage 1) every rank first sends rank 0 its share.</summary>
    private string? SaveCheckpoint()
    {
        if (options.OutputDirectory is null) return null;
        parallel?.GatherOptimizerState();
        try
        {
            return run is null ? null : TrainingCheckpoint.Save(run, Step, model, optimizer, data, options.TokenizerFile);
        }
        finally
        {
            parallel?.ReleaseGatheredOptimizerState();
        }
    }
}
