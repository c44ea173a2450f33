using System.Diagnostics;
using BiGS.Native.Distributed;
using BiGS.Native.Tensors;

namespace BiGS.Native.Training;

/// <summary>
/// The updates since the metrics were last read. Their loss, accuracy hits and gradient norms add up on the model's
/// device, in one-element tensors updated in place, so no update reads anything back; target and token counts and
/// time add up on the host. <see cref="Read"/> reads the three sums (summed over the ranks when parallel), gives the
/// window's means and starts the next window.
/// </summary>
internal sealed class MetricsWindow(Device device)
{
    private readonly Tensor loss = Tensor.Zeros(device, 1), hits = Tensor.Zeros(device, 1), norms = Tensor.Zeros(device, 1);
    private int updates;
    private long targets, tokens;
    private bool hasAccuracy = true;
    private TimeSpan elapsed;

    /// <summary>Updates in the window.</summary>
    public int Updates => updates;

    /// <summary>Adds a micro-batch: its loss weighted by its share of the update's targets, its hits and counts.</summary>
    public void AddMicroBatch(ObjectiveResult result, float weight, long inputTokens)
    {
        loss.AddScaledInPlace(result.Loss.Value, weight);
        if (result.Correct is { } correct) hits.AddScaledInPlace(correct, 1f);
        else hasAccuracy = false;
        targets += result.Targets;
        tokens += inputTokens;
    }

    /// <summary>Closes an update: its gradient norm (one element on the device) and the host time it took.</summary>
    public void AddUpdate(Tensor gradientNorm, TimeSpan took)
    {
        norms.AddScaledInPlace(gradientNorm, 1f);
        elapsed += took;
        updates++;
    }

    /// <summary>
    /// The window's metrics as of <paramref name="step"/>: mean update loss and gradient norm, accuracy over all its
    /// targets, tokens per second of update time (the read waits for the device, so its time counts too).
    /// </summary>
    public StepMetrics Read(int step, float learningRate, DataParallel? parallel)
    {
        long started = Stopwatch.GetTimestamp();
        Span<double> sums = [loss.Item(), hits.Item(), targets, tokens, norms.Item()];
        double seconds = (elapsed + Stopwatch.GetElapsedTime(started)).TotalSeconds;
        parallel?.Sum(sums[..4]); // loss shares, hits, targets and tokens add over the ranks; the norm is global already
        var metrics = new StepMetrics(step, sums[0] / updates, hasAccuracy ? sums[1] / sums[2] : double.NaN, learningRate,
            sums[4] / updates, sums[3] / Math.Max(seconds, 1e-9));
        Clear();
        return metrics;
    }

    private void Clear()
    {
        loss.FillInPlace(0f);
        hits.FillInPlace(0f);
        norms.FillInPlace(0f);
        updates = 0;
        targets = tokens = 0;
        hasAccuracy = true;
        elapsed = TimeSpan.Zero;
    }
}
