namespace BiGS.Native.Training;

/// <summary>How the learning rate falls after warm-up.</summary>
public enum ScheduleKind
{
    /// <summary>Straight line from the peak to min_ratio x peak at the last step.</summary>
    Linear,
    /// <summary>Half a cosine from the peak to min_ratio x peak at the last step.</summary>
    Cosine,
    /// <summary>The peak rate until the end.</summary>
    Constant,
}

/// <summary>
/// Linear warm-up then decay. For update t = 1..total: during warm-up (t &lt;= W) lr = peak t / W; after it,
/// with progress p = (t - W) / (total - W) in [0, 1] and floor r = min_ratio,
/// linear: lr = peak (r + (1 - r)(1 - p)); cosine: lr = peak (r + (1 - r)(1 + cos(pi p)) / 2); constant: lr = peak.
/// </summary>
public sealed class LearningRateSchedule
{
    /// <summary>Creates a schedule; rejects non-positive peaks, negative warm-up and ratios outside [0, 1].</summary>
    public LearningRateSchedule(float peak, int warmupSteps, int totalSteps, ScheduleKind kind, float minRatio = 0f)
    {
        if (!(peak > 0f) || !float.IsFinite(peak)) throw new ArgumentOutOfRangeException(nameof(peak), peak, "the peak learning rate must be positive");
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "the schedule needs at least one step");
        if (warmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "warm-up steps cannot be negative");
        if (!(minRatio >= 0f && minRatio <= 1f)) throw new ArgumentOutOfRangeException(nameof(minRatio), minRatio, "the minimum ratio must be in [0, 1]");
        Peak = peak;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        Kind = kind;
        MinRatio = minRatio;
    }

    /// <summary>The peak learning rate.</summary>
    public float Peak { get; }

    /// <summary>Number of warm-up updates.</summary>
    public int WarmupSteps { get; }

    /// <summary>Number of updates the decay spans (the rate stays at its floor afterwards).</summary>
    public int TotalSteps { get; }

    /// <summary>How the rate falls from the peak after warm-up: linear, cosine or constant.</summary>
    public ScheduleKind Kind { get; }

    /// <summary>The final rate as a fraction of the peak (linear and cosine).</summary>
    public float MinRatio { get; }

    /// <summary>Parses "linear", "cosine" or "constant".</summary>
    public static ScheduleKind ParseKind(string name) => name.ToLowerInvariant() switch
    {
        "linear" => ScheduleKind.Linear,
        "cosine" => ScheduleKind.Cosine,
        "constant" => ScheduleKind.Constant,
        _ => throw new ArgumentException($"unknown schedule \"{name}\"; choose linear, cosine or constant"),
    };

    /// <summary>The learning rate of update <paramref name="step"/> (counted from 1).</summary>
    public float At(int step)
    {
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), step, "updates are counted from 1");
        if (step <= WarmupSteps) return (float)((double)Peak * step / WarmupSteps);
        if (Kind == ScheduleKind.Constant) return Peak;
        int decaySteps = TotalSteps - WarmupSteps;
        double progress = decaySteps <= 0 ? 1.0 : Math.Min(1.0, (double)(step - WarmupSteps) / decaySteps);
        double shape = Kind == ScheduleKind.Linear ? 1.0 - progress : 0.5 * (1.0 + Math.Cos(Math.PI * progress));
        return (float)(Peak * (MinRatio + (1.0 - MinRatio) * shape));
    }
}
