using System.Diagnostics;
using BiGS.Native.Distributed;
using BiGS.Native.Tensors;

namespace BiGS.Native.Training;

/// <summary>
/// The updates since the metrics were last read. Their loss, accuracy hits and gradient norms add up on the model's
/// device, in the three elements of one tensor updated in place, so no update reads anything back; target and token
/// counts and time add up on the host. <see cref="Read"/> reads the three sums in one copy (summed over the ranks when
/// parallel), gives the window's means and starts the next window.
/// </summary>
internal sealed class MetricsWindow
{
    /// <summary>On the device: [loss shares, accuracy hits, gradient norms] summed over the window.</summary>
    private readonly Tensor deviceSums;
    private readonly Tensor loss, hits, norms;
    private int updates;
    private long targets, tokens;
    private bool hasAccuracy = true;
    private TimeSpan elapsed;

    /// <summary>An empty window whose device sums live on <paramref name="device"/>.</summary>
    public MetricsWindow(Device device)
    {
        deviceSums = Tensor.Zeros(device, 3);
        (loss, hits, norms) = (deviceSums.Slice(0, 0, 1), deviceSums.Slice(0, 1, 1), deviceSums.Slice(0, 2, 1));
    }

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
        float[] onDevice = deviceSums.ToArray();
        Span<double> sums = [onDevice[0], onDevice[1], targets, tokens, onDevice[2]];
        double seconds = (elapsed + Stopwatch.GetElapsedTime(started)).TotalSeconds;
        parallel?.Sum(sums[..4]); // loss shares, hits, targets and tokens add over the ranks; the norm is global already
        var metrics = new StepMetrics(step, sums[0] / updates, hasAccuracy ? sums[1] / sums[2] : double.NaN, learningRate,
            sums[4] / updates, sums[3] / Math.Max(seconds, 1e-9));
        Clear();
        return metrics;
    }

    private void Clear()
    {
        deviceSums.FillInPlace(0f);
        updates = 0;
        targets = tokens = 0;
        hasAccuracy = true;
        elapsed = TimeSpan.Zero;
    }
}
