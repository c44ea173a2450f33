namespace BiGS.Native.Training;

/// <summary>What happened in a training run, reported after every update, evaluation and checkpoint.</summary>
public enum TrainingEvent
{
    /// <summary>An optimizer update finished.</summary>
    Step,
    /// <summary>An evaluation finished (<see cref="TrainingProgress.Eval"/> is set).</summary>
    Evaluation,
    /// <summary>A checkpoint was committed (<see cref="TrainingProgress.CheckpointPath"/> is set).</summary>
    Checkpoint,
}

/// <summary>A snapshot of a running training job, for progress displays.</summary>
public sealed record TrainingProgress
{
    /// <summary>What this report is about.</summary>
    public required TrainingEvent Event { get; init; }

    /// <summary>Updates (optimiser steps) done so far.</summary>
    public required int Step { get; init; }

    /// <summary>Updates of the whole run.</summary>
    public required int TotalSteps { get; init; }

    /// <summary>Metrics of the latest update.</summary>
    public required StepMetrics Latest { get; init; }

    /// <summary>Wall time of this session (since <see cref="Trainer.Run"/> started).</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Estimated time to the last update, from this session's pace.</summary>
    public required TimeSpan Remaining { get; init; }

    /// <summary>The evaluation's metrics, for <see cref="TrainingEvent.Evaluation"/>.</summary>
    public IReadOnlyDictionary<string, double>? Eval { get; init; }

    /// <summary>The checkpoint directory, for <see cref="TrainingEvent.Checkpoint"/>.</summary>
    public string? CheckpointPath { get; init; }
}

/// <summary>The numbers of one optimizer update.</summary>
/// <param name="Step">Update number (from 1).</param>
/// <param name="Loss">Mean loss over the update's targets (all micro-batches).</param>
/// <param name="Accuracy">Fraction of targets predicted right (NaN when the objective has none, e.g. regression).</param>
/// <param name="LearningRate">The scheduled rate of the update.</param>
/// <param name="GradientNorm">Global gradient norm before clipping.</param>
/// <param name="TokensPerSecond">Input tokens of the update divided by its wall time.</param>
public sealed record StepMetrics(int Step, double Loss, double Accuracy, double LearningRate, double GradientNorm, double TokensPerSecond);
