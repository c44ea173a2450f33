using System.Diagnostics;
using BiGS.Native.Autograd;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;

namespace BiGS.Native.Distributed;

/// <summary>What the gradient reductions of a data-parallel run cost so far.</summary>
/// <param name="Steps">Updates reduced.</param>
/// <param name="BytesPerStep">Bytes each rank all-reduces per update (gradients and has-gradient flags, float32).</param>
/// <param name="WaitSeconds">Time blocked waiting for reductions after the backward pass, summed over updates.</param>
/// <param name="StepSeconds">Wall time of the updates, summed.</param>
/// <param name="CpuSeconds">This process's CPU time (all threads) from the start of training to the last update.</param>
public sealed record ReductionStatistics(int Steps, long BytesPerStep, double WaitSeconds, double StepSeconds, double CpuSeconds)
{
    /// <summary>The share of update time spent waiting for gradient reductions.</summary>
    public double WaitShare => StepSeconds > 0 ? WaitSeconds / StepSeconds : 0;
}

/// <summary>
/// Data parallelism over the ranks of a <see cref="ICommunicator"/>: every rank holds the whole model and draws the
/// same global batches; <see cref="Shard"/> keeps this rank's rows (rank r of N: rows [r B / N, (r+1) B / N)), each
/// rank back-propagates its rows' loss weighted by their share of the global batch's targets, and
/// <see cref="GradientBuckets"/> sums the gradients over the ranks during the backward pass. The sum of the ranks'
/// weighted gradients is the gradient of the mean loss over the whole batch, so the update is a single process's
/// up to the order of summation (which is what averaging the ranks' gradients gives when shards are equal).
/// The gradients' <see cref="ICollectiveEngine"/> is chosen by <see cref="Attach"/> for the parameters' device
/// (<see cref="CollectiveEngines"/>: NCCL on CUDA when available, else MPI with host staging) and logged.
/// </summary>
public sealed class DataParallel : IDisposable
{
    /// <summary>
    /// Test seam, read once at construction: <c>BIGS_TEST_HANG_RANK=r</c> makes rank r of a multi-rank run stop
    /// responding (sleep forever, alive) when it comes to finish its first update's gradient reduction, as a hung
    /// rank would; the tests check that the other ranks then give up after their collective timeout.
    /// </summary>
    public const string HangRankVariable = "BIGS_TEST_HANG_RANK";

    private readonly int bucketBytes;
    private readonly bool hangs;
    private GradientBuckets? buckets;
    private ICollectiveEngine? engine;
    private int steps;
    private double stepSeconds;
    private TimeSpan cpuAtAttach, cpuAtLastStep;

    /// <summary>Runs on <paramref name="communicator"/>'s ranks with gradient buckets of <paramref name="bucketBytes"/>.</summary>
    public DataParallel(ICommunicator communicator, int bucketBytes = GradientBuckets.DefaultBucketBytes)
    {
        Communicator = communicator;
        this.bucketBytes = bucketBytes;
        hangs = communicator.Size > 1 && int.TryParse(Environment.GetEnvironmentVariable(HangRankVariable), out int rank) && rank == communicator.Rank;
    }

    /// <summary>The ranks' communicator, through which gradients are all-reduced.</summary>
    public ICommunicator Communicator { get; }

    /// <summary>True on rank 0, the rank that writes logs, plots and checkpoints.</summary>
    public bool IsRoot => Communicator.Rank == 0;

    /// <summary>
    /// The engine for the parameters' device; null: <see cref="CollectiveEngines.Choose(ICommunicator, Device)"/>
    /// (tests give their own).
    /// </summary>
    public Func<Device, ICollectiveEngine>? EngineFor { get; init; }

    /// <summary>Receives the line that says which engine sums the gradients, and why (once, from <see cref="Attach"/>).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>
    /// Chooses the collective engine for the parameters' device and sets up the gradient buckets of the
    /// parameters the optimizer updates (once per run; every rank calls it, as NCCL's set-up is a collective).
    /// </summary>
    public void Attach(IEnumerable<Parameter> parameters)
    {
        var list = parameters.ToList();
        var device = list.Count > 0 ? list[0].Value.Device : Device.Cpu;
        engine = EngineFor?.Invoke(device) ?? CollectiveEngines.Choose(Communicator, device);
        Log?.Invoke($"gradient all-reduce: {engine.Description}");
        buckets = new GradientBuckets(engine, list, bucketBytes);
        cpuAtAttach = cpuAtLastStep = Process.GetCurrentProcess().TotalProcessorTime;
    }

    /// <summary>Called by the backward pass of an update's last micro-batch as each leaf's gradient completes.</summary>
    public void GradientReady(Variable leaf) => Buckets.GradientReady(leaf);

    /// <summary>Completes the update's gradient reductions: every gradient is then the sum over ranks.</summary>
    public void FinishGradients()
    {
        if (hangs) Thread.Sleep(Timeout.Infinite);
        Buckets.Finish();
    }

    /// <summary>Records an update's wall time (for <see cref="Statistics"/>).</summary>
    public void StepDone(double seconds)
    {
        steps++;
        stepSeconds += seconds;
        cpuAtLastStep = Process.GetCurrentProcess().TotalProcessorTime;
    }

    /// <summary>The reductions' cost so far.</summary>
    public ReductionStatistics Statistics =>
        new(steps, Buckets.FloatsPerStep * sizeof(float), Buckets.WaitSeconds, stepSeconds, (cpuAtLastStep - cpuAtAttach).TotalSeconds);

    /// <summary>Sums the values over the ranks, in place.</summary>
    public void Sum(Span<double> values) => Communicator.AllReduceSum(values);

    /// <summary>True on every rank when <paramref name="condition"/> is true on any rank (a collective).</summary>
    public bool AnyRank(bool condition)
    {
        Span<double> vote = [condition ? 1 : 0];
        Communicator.AllReduceSum(vote);
        return vote[0] > 0;
    }

    /// <summary>
    /// This rank's rows of a global batch, and the <see cref="BatchShard"/> scope to compute them in (so that
    /// dropout draws this shard's part of the whole batch's masks).
    /// </summary>
    /// <exception cref="ArgumentException">The batch has fewer rows than there are ranks.</exception>
    public (BiGSInput Rows, BatchShard Scope) Shard(BiGSInput batch)
    {
        int total = batch.InputIds.Size(0), ranks = Communicator.Size;
        int start = (int)((long)Communicator.Rank * total / ranks), end = (int)((long)(Communicator.Rank + 1) * total / ranks);
        if (end == start)
            throw new ArgumentException($"a batch of {total} examples cannot be shared by {ranks} ranks: every rank needs at least one");
        Tensor? Rows(Tensor? t, int batchRank) => t is null || t.Rank != batchRank ? t : t.Slice(0, start, end - start).Contiguous();
        var rows = batch with
        {
            InputIds = Rows(batch.InputIds, 2)!,
            TokenTypeIds = Rows(batch.TokenTypeIds, 2),
            AttentionMask = Rows(batch.AttentionMask, 2),
            PositionIds = Rows(batch.PositionIds, 2),
            Labels = batch.Labels is { } labels ? Rows(labels, labels.Rank) : null,
            NextSentenceLabel = Rows(batch.NextSentenceLabel, 1),
            StartPositions = Rows(batch.StartPositions, 1),
            EndPositions = Rows(batch.EndPositions, 1),
        };
        return (rows, BatchShard.Use(start, end - start, total));
    }

    /// <summary>Frees the buckets and ends the engine (NCCL's communicator); call on every rank before MPI ends.</summary>
    public void Dispose()
    {
        buckets?.Dispose();
        engine?.Dispose();
    }

    private GradientBuckets Buckets => buckets ?? throw new InvalidOperationException("DataParallel.Attach was not called with the model's parameters");
}
