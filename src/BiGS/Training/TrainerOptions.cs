namespace BiGS.Native.Training;

/// <summary>How long a <see cref="Trainer"/> runs and what it records.</summary>
public sealed record TrainerOptions
{
    /// <summary>Number of optimizer updates of the whole run (a resumed run continues to this count).</summary>
    public required int Steps { get; init; }

    /// <summary>Micro-batches whose gradients add up to one update (gradient accumulation).</summary>
    public int AccumulationSteps { get; init; } = 1;

    /// <summary>The global gradient norm training clips to unless told otherwise (pretraining, fine-tuning, the benchmark).</summary>
    public const float DefaultGradientClipNorm = 1f;

    /// <summary>Clip the global gradient norm to this before each update; null for no clipping.</summary>
    public float? GradientClipNorm { get; init; } = DefaultGradientClipNorm;

    /// <summary>
    /// Read back and log the metrics every this many updates (and at the end): in between, the loss, accuracy hits and
    /// gradient norm add up on the device, and the logged line holds the means over those updates. 1 logs each update;
    /// on a GPU, more lets the device run ahead of the host.
    /// </summary>
    public int LogEvery { get; init; } = 1;

    /// <summary>Run the evaluation callback every this many updates (and at the end); 0 for only at the end.</summary>
    public int EvalEvery { get; init; }

    /// <summary>Write a checkpoint every this many updates (and always at the end); 0 for only at the end.</summary>
    public int SaveEvery { get; init; }

    /// <summary>
    /// Directory of the run (a <see cref="RunDirectory"/>): metrics.jsonl, loss.svg and checkpoints/step-NNNNNN
    /// (only the newest checkpoint is kept; only checkpoints the run directory lists are ever deleted). Null
    /// records nothing to disk.
    /// </summary>
    public string? OutputDirectory { get; init; }

    /// <summary>The kind a new run directory is marked with (an existing one keeps its own).</summary>
    public string RunKind { get; init; } = "training";

    /// <summary>
    /// The tokenizer file (vocab.txt or tokenizer.json) the model was trained with, copied into every checkpoint so
    /// that a checkpoint tokenises on its own; null when it is the embedded bert-base-uncased vocabulary.
    /// </summary>
    public string? TokenizerFile { get; init; }

    /// <summary>
    /// The ranks this run is shared with (data parallelism: each computes its shard of every batch, gradients are
    /// summed over the ranks, rank 0 alone writes the output directory and evaluates); null for a single process.
    /// </summary>
    public Distributed.DataParallel? Parallel { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Steps < 1) throw new ArgumentException($"steps must be at least 1, got {Steps}");
        if (AccumulationSteps < 1) throw new ArgumentException($"accumulation steps must be at least 1, got {AccumulationSteps}");
        if (GradientClipNorm is { } clip && !(clip > 0f)) throw new ArgumentException($"the gradient clipping norm must be positive, got {clip}");
        if (LogEvery < 1) throw new ArgumentException($"log-every must be at least 1, got {LogEvery}");
        if (EvalEvery < 0) throw new ArgumentException($"eval-every cannot be negative, got {EvalEvery}");
        if (SaveEvery < 0) throw new ArgumentException($"save-every cannot be negative, got {SaveEvery}");
    }
}
