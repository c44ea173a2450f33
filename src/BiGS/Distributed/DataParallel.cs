using System.Diagnostics;
using BiGS.Native.Autograd;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;
using BiGS.Native.Training;

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
/// (<see cref="CollectiveEngines"/>: NCCL on CUDA when available, else MPI on host memory) and logged.
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
    private Dictionary<Parameter, int>? owners;
    private AdamW? optimizer;
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

    /// <summary>
    /// Receives the line that says which engine sums the gradients, why, and how many buckets it sums in place (once,
    /// from <see cref="Attach"/>).
    /// </summary>
    public Action<string>? Log { get; init; }

    /// <summary>
    /// ZeRO stage 1: each rank keeps the AdamW moments of only a share of the parameters (assigned whole, largest
    /// first, to the rank with the fewest elements so far) and updates only those; after each step every rank
    /// broadcasts the parameters it updated (<see cref="ShareUpdatedParameters"/>), and before a checkpoint rank 0
    /// gathers the whole state (<see cref="GatherOptimizerState"/>). Optimizer memory per rank is about 1/N.
    /// </summary>
    public bool ShardOptimizerState { get; init; }

    /// <summary>Bytes of AdamW moments each rank holds, by rank, and the whole optimizer state's bytes (empty and 0 before <see cref="Attach"/>).</summary>
    public (long[] PerRank, long Whole) OptimizerStateBytes { get; private set; } = ([], 0);

    /// <summary>
    /// Attaches to the optimizer of the run (once; every rank calls it): the collective engine is chosen for the
    /// parameters' device, their gradient buckets are set up and, with <see cref="ShardOptimizerState"/>, the
    /// optimizer keeps only this rank's share of its state.
    /// </summary>
    public void Attach(AdamW optimizer)
    {
        var parameters = optimizer.Parameters().ToList();
        long whole = optimizer.StateBytes;
        AttachBuckets(parameters);
        if (ShardOptimizerState)
        {
            this.optimizer = optimizer;
            owners = AssignOwners(parameters, Communicator.Size);
            optimizer.KeepStateOnlyFor(IsMine);
        }
        Span<double> perRank = new double[Communicator.Size];
        perRank[Communicator.Rank] = optimizer.StateBytes;
        Communicator.AllReduceSum(perRank);
        OptimizerStateBytes = ([.. perRank.ToArray().Select(b => (long)b)], whole);
    }

    /// <summary>
    /// Under ZeRO stage 1, after the optimizer step (every rank calls it): each rank broadcasts the parameters it
    /// updated, so that every rank holds the whole updated model. Does nothing otherwise.
    /// </summary>
    public void ShareUpdatedParameters()
    {
        if (owners is null || optimizer is null) return;
        for (int owner = 0; owner < Communicator.Size; owner++)
        {
            var owned = Owned(owner);
            var values = BroadcastFloats(owner, owned.Sum(p => (long)p.Value.Count), span => Pack(owned.Select(p => p.Value), span));
            if (owner != Communicator.Rank) Unpack(values, owned.Select(p => p.Value));
        }
    }

    /// <summary>
    /// Under ZeRO stage 1, before a checkpoint (every rank calls it): rank 0 receives the moments the other ranks
    /// keep, so that it can save the whole optimizer state. Does nothing otherwise.
    /// </summary>
    public void GatherOptimizerState()
    {
        if (owners is null || optimizer is null) return;
        for (int owner = 1; owner < Communicator.Size; owner++)
        {
            var owned = Owned(owner);
            long count = owned.Sum(p => (long)p.Value.Count);
            var moments = BroadcastFloats(owner, 2 * count, span => Pack(owned.SelectMany(p => Moments(optimizer, p)), span));
            if (!IsRoot) continue;
            long offset = 0;
            foreach (var parameter in owned)
            {
                int n = checked((int)parameter.Value.Count);
                optimizer.SetState(parameter, moments.AsSpan((int)offset, n), moments.AsSpan((int)(offset + n), n));
                offset += 2L * n;
            }
        }
    }

    /// <summary>Under ZeRO stage 1, after a checkpoint: rank 0 frees the moments it gathered. Does nothing otherwise.</summary>
    public void ReleaseGatheredOptimizerState()
    {
        if (owners is not null) optimizer?.KeepStateOnlyFor(IsMine);
    }

    /// <summary>
    /// Parameters assigned whole to <paramref name="ranks"/> ranks: largest first (ties in the given order), each to
    /// the rank with the fewest elements so far (ties: the lowest rank). Every rank computes the same assignment.
    /// </summary>
    public static Dictionary<Parameter, int> AssignOwners(IReadOnlyList<Parameter> parameters, int ranks)
    {
        var load = new long[ranks];
        var owners = new Dictionary<Parameter, int>(ReferenceEqualityComparer.Instance);
        foreach (var parameter in parameters.OrderByDescending(p => p.Value.Count))
        {
            int rank = Array.IndexOf(load, load.Min());
            owners[parameter] = rank;
            load[rank] += parameter.Value.Count;
        }
        return owners;
    }

    /// <summary>
    /// Chooses the collective engine for the parameters' device and sets up the gradient buckets of the
    /// parameters the optimizer updates.
    /// </summary>
    private void AttachBuckets(List<Parameter> list)
    {
        var device = list.Count > 0 ? list[0].Value.Device : Device.Cpu;
        engine = EngineFor?.Invoke(device) ?? CollectiveEngines.Choose(Communicator, device);
        buckets = new GradientBuckets(engine, list, bucketBytes);
        Log?.Invoke($"gradient all-reduce: {engine.Description}; {buckets.InPlaceBucketCount} of {buckets.BucketCount} buckets summed in place in the flat gradient buffer");
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

    private bool IsMine(Parameter parameter) => owners![parameter] == Communicator.Rank;

    /// <summary>The parameters <paramref name="owner"/> updates, in the optimizer's order.</summary>
    private List<Parameter> Owned(int owner) => [.. optimizer!.Parameters().Where(p => owners![p] == owner)];

    /// <summary>
    /// <paramref name="count"/> floats from rank <paramref name="root"/>, which writes them with <paramref name="fill"/>,
    /// to every rank (in broadcasts of at most 1 GiB, MPI's counts being 32-bit).
    /// </summary>
    private float[] BroadcastFloats(int root, long count, Action<Span<float>> fill)
    {
        var values = new float[count];
        if (Communicator.Rank == root) fill(values);
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan());
        const int chunk = 1 << 30;
        for (int offset = 0; offset < bytes.Length; offset += chunk)
            Communicator.Broadcast(bytes.Slice(offset, Math.Min(chunk, bytes.Length - offset)), root);
        return values;
    }

    private static void Pack(IEnumerable<Tensor> tensors, Span<float> destination)
    {
        int offset = 0;
        foreach (var tensor in tensors)
        {
            float[] values = tensor.ToArray();
            values.CopyTo(destination[offset..]);
            offset += values.Length;
        }
    }

    private static void Unpack(float[] source, IEnumerable<Tensor> tensors)
    {
        int offset = 0;
        foreach (var tensor in tensors)
        {
            int n = checked((int)tensor.Count);
            tensor.CopyFrom(source.AsSpan(offset, n));
            offset += n;
        }
    }

    private static Tensor[] Moments(AdamW optimizer, Parameter parameter) =>
        optimizer.StateOf(parameter) is var (m, v) ? [m, v] : throw new InvalidOperationException($"rank holds no optimizer state of {parameter.Name}");

    /// <summary>Frees the buckets and ends the engine (NCCL's communicator); call on every rank before MPI ends.</summary>
    public void Dispose()
    {
        buckets?.Dispose();
        engine?.Dispose();
    }

    private GradientBuckets Buckets => buckets ?? throw new InvalidOperationException("DataParallel.Attach was not called with the model's parameters");
}
