using System.Diagnostics;
using BiGS.Native.Autograd;
using BiGS.Native.Tensors;

namespace BiGS.Native.Distributed;

/// <summary>
/// Sums the parameters' gradients over all ranks in buckets while the backward pass is still running, as PyTorch's
/// DistributedDataParallel does. Parameters are grouped, in reverse order (the order the backward finishes them),
/// into buckets of at most <c>bucketBytes</c>; when the backward has finished every parameter of a bucket
/// (<see cref="GradientReady"/>), its all-reduce starts. A bucket whose gradient homes lie back to back in the
/// optimizer's flat gradient buffer (<see cref="Variable.GradHome"/>) is summed there, in place, when the
/// <see cref="ICollectiveEngine"/> can address that memory; any other bucket's gradients are copied into a staging
/// buffer of the engine's and the sums copied back. Buckets start strictly in index order, so every rank issues the
/// same sequence of collectives. <see cref="Finish"/> starts what is left (parameters the backward did not reach),
/// waits for all, and makes the sums the gradients.
/// One more message per step sums one flag per parameter (1 where this rank has a gradient), so that a parameter
/// gets a gradient after the reduction exactly when some rank had one, as in a single process.
/// </summary>
public sealed class GradientBuckets : IDisposable
{
    /// <summary>The default bucket size: 4 MiB of gradients.</summary>
    public const int DefaultBucketBytes = 4 << 20;

    private readonly Bucket[] buckets;
    private readonly Dictionary<Variable, (Bucket Bucket, int Slot)> place = new(ReferenceEqualityComparer.Instance);

    /// <summary>This rank's has-gradient flags, one per parameter, bucket after bucket.</summary>
    private readonly float[] hasGradient;

    /// <summary>Where the flags are summed over the ranks.</summary>
    private readonly IReductionBuffer flags;
    private int nextToStart;

    /// <summary>
    /// Groups <paramref name="parameters"/> (in forward order) into buckets of at most <paramref name="bucketBytes"/>,
    /// each summed by <paramref name="engine"/>.
    /// </summary>
    public GradientBuckets(ICollectiveEngine engine, IReadOnlyList<Parameter> parameters, int bucketBytes = DefaultBucketBytes)
    {
        if (bucketBytes < sizeof(float)) throw new ArgumentOutOfRangeException(nameof(bucketBytes), bucketBytes, "a bucket holds at least one float");
        var groups = new List<List<Parameter>> { new() };
        long filled = 0;
        foreach (var parameter in parameters.Reverse())
        {
            long bytes = (long)parameter.Value.Count * sizeof(float);
            if (groups[^1].Count > 0 && filled + bytes > bucketBytes)
            {
                groups.Add([]);
                filled = 0;
            }
            groups[^1].Add(parameter);
            filled += bytes;
        }
        hasGradient = new float[parameters.Count];
        flags = engine.CreateBuffer(parameters.Count);
        int firstFlag = 0;
        var list = new List<Bucket>();
        foreach (var group in groups.Where(g => g.Count > 0))
        {
            list.Add(Bucket.For(group, new Memory<float>(hasGradient, firstFlag, group.Count), engine));
            firstFlag += group.Count;
        }
        buckets = [.. list];
        foreach (var bucket in buckets)
            for (int i = 0; i < bucket.Parameters.Count; i++) place[bucket.Parameters[i]] = (bucket, i);
    }

    /// <summary>Number of buckets, each all-reduced (summed over ranks) as one message.</summary>
    public int BucketCount => buckets.Length;

    /// <summary>Number of buckets summed in place in the flat gradient buffer (the others are staged).</summary>
    public int InPlaceBucketCount => buckets.Count(b => b is InPlaceBucket);

    /// <summary>Floats each step reduces (gradients plus one flag per parameter).</summary>
    public long FloatsPerStep => buckets.Sum(b => (long)b.Length) + hasGradient.Length;

    /// <summary>Seconds <see cref="Finish"/> spent blocked waiting for reductions, summed over steps.</summary>
    public double WaitSeconds { get; private set; }

    /// <summary>
    /// The backward pass has finished <paramref name="leaf"/>'s gradient: stage it, and start every bucket (in
    /// order) whose parameters are all staged. Also lets reductions in flight progress. Other leaves are ignored.
    /// </summary>
    public void GradientReady(Variable leaf)
    {
        if (!place.TryGetValue(leaf, out var at)) return;
        at.Bucket.Stage(at.Slot);
        StartCompleteBuckets(all: false);
        foreach (var bucket in buckets.AsSpan(0, nextToStart)) bucket.Pending?.Test();
    }

    /// <summary>
    /// Starts the buckets still waiting (whatever gradient each parameter has, zeros where none) and the flags,
    /// waits for every reduction, and makes each sum over ranks the parameter's gradient.
    /// </summary>
    public void Finish()
    {
        StartCompleteBuckets(all: true);
        flags.WriteFromHost(0, hasGradient);
        var flagsPending = flags.StartAllReduceSum();
        long started = Stopwatch.GetTimestamp();
        foreach (var bucket in buckets) bucket.Pending!.Wait();
        flagsPending.Wait();
        WaitSeconds += Stopwatch.GetElapsedTime(started).TotalSeconds;
        // Where this rank lacks a gradient, the flags are replaced by their sums: nonzero where some rank had one.
        if (hasGradient.Contains(0f)) flags.ReadToHost(0, hasGradient);
        foreach (var bucket in buckets) bucket.Unstage();
        nextToStart = 0;
    }

    private void StartCompleteBuckets(bool all)
    {
        while (nextToStart < buckets.Length && (all || buckets[nextToStart].IsComplete))
            buckets[nextToStart++].Start();
    }

    /// <summary>Frees the staging buffers.</summary>
    public void Dispose()
    {
        foreach (var bucket in buckets) bucket.Dispose();
        flags.Dispose();
    }

    /// <summary>
    /// Parameters whose gradients travel together as one message, and this rank's has-gradient flag of each
    /// (<c>hasGradient</c>, a window of the buckets' shared flags).
    /// </summary>
    private abstract class Bucket(List<Parameter> parameters, Memory<float> hasGradient) : IDisposable
    {
        private readonly bool[] staged = new bool[parameters.Count];
        private int stagedCount;

        /// <summary>
        /// A bucket summed in place when its parameters' gradient homes lie back to back (in reverse, the bucket's
        /// order) in memory <paramref name="engine"/> can sum where it lies, else a staged one.
        /// </summary>
        public static Bucket For(List<Parameter> parameters, Memory<float> hasGradient, ICollectiveEngine engine) =>
            HomesBackToBack(parameters) is { } homes && engine.ReducesInPlace(homes[^1].SpanThrough(homes[0]))
                ? new InPlaceBucket(parameters, hasGradient, engine, homes)
                : new StagedBucket(parameters, hasGradient, engine);

        public List<Parameter> Parameters { get; } = parameters;

        /// <summary>Floats summed over the ranks: the gradients' elements.</summary>
        public abstract int Length { get; }

        public IPendingReduction? Pending { get; private set; }

        public bool IsComplete => stagedCount == Parameters.Count;

        /// <summary>Puts parameter <paramref name="slot"/>'s gradient (zeros if it has none) where the sum reads it, and notes its flag.</summary>
        public void Stage(int slot)
        {
            if (staged[slot]) return;
            staged[slot] = true;
            stagedCount++;
            hasGradient.Span[slot] = Parameters[slot].Grad is null ? 0f : 1f;
            Gather(slot);
        }

        /// <summary>Stages the parameters the backward did not reach and starts the sum.</summary>
        public void Start()
        {
            for (int slot = 0; slot < Parameters.Count; slot++) Stage(slot);
            Pending = StartSum();
        }

        /// <summary>
        /// Makes the sums the gradients of every parameter some rank had a gradient for: this rank, or a nonzero flag
        /// (<c>hasGradient</c> holds the summed flags after <see cref="Finish"/> where this rank lacked one).
        /// </summary>
        public void Unstage()
        {
            var someRankHad = hasGradient.Span;
            for (int slot = 0; slot < Parameters.Count; slot++)
                if (Parameters[slot].Grad is not null || someRankHad[slot] != 0f) Scatter(slot);
            Array.Clear(staged);
            stagedCount = 0;
            Pending = null;
        }

        public virtual void Dispose() { }

        /// <summary>Puts parameter <paramref name="slot"/>'s gradient, or zeros, where the sum reads it.</summary>
        protected abstract void Gather(int slot);

        protected abstract IPendingReduction StartSum();

        /// <summary>Makes the sum of parameter <paramref name="slot"/>'s elements its gradient.</summary>
        protected abstract void Scatter(int slot);

        /// <summary>The parameters' gradient homes when each follows the next one's in one buffer; else null.</summary>
        private static Tensor[]? HomesBackToBack(List<Parameter> parameters)
        {
            var homes = parameters.Select(p => p.GradHome).ToArray();
            if (homes.Any(h => h is null)) return null;
            for (int i = 1; i < homes.Length; i++)
                if (!homes[i]!.IsFollowedBy(homes[i - 1]!)) return null;
            return homes!;
        }
    }

    /// <summary>
    /// A bucket summed where its gradients lie: one all-reduce of the run of their homes in the flat gradient buffer,
    /// with no copy. A parameter without a gradient contributes its home zeroed; a gradient set by hand outside its
    /// home is copied into the home, which holds the sum afterwards.
    /// </summary>
    private sealed class InPlaceBucket(List<Parameter> parameters, Memory<float> hasGradient, ICollectiveEngine engine, Tensor[] homes)
        : Bucket(parameters, hasGradient)
    {
        private readonly Tensor run = homes[^1].SpanThrough(homes[0]);

        public override int Length => checked((int)run.Count);

        protected override void Gather(int slot)
        {
            var grad = Parameters[slot].Grad;
            if (grad is null) homes[slot].FillInPlace(0f);
            else if (!ReferenceEquals(grad, homes[slot])) homes[slot].CopyFrom(grad);
        }

        protected override IPendingReduction StartSum() => engine.StartAllReduceSum(run);

        protected override void Scatter(int slot) => Parameters[slot].Grad = homes[slot];
    }

    /// <summary>
    /// A bucket staged in a buffer of the engine's: its parameters' gradients are not back to back in memory the
    /// engine can sum in place (no flat gradient buffer, or device memory MPI cannot address), so each is copied into
    /// the buffer, elements back to back, and its sum copied back.
    /// </summary>
    private sealed class StagedBucket : Bucket
    {
        private readonly int[] offsets;
        private readonly IReductionBuffer buffer;

        public StagedBucket(List<Parameter> parameters, Memory<float> hasGradient, ICollectiveEngine engine) : base(parameters, hasGradient)
        {
            offsets = new int[parameters.Count];
            int length = 0;
            for (int i = 0; i < parameters.Count; i++)
            {
                offsets[i] = length;
                length += parameters[i].Value.Length;
            }
            Length = length;
            buffer = engine.CreateBuffer(length);
        }

        public override int Length { get; }

        public override void Dispose() => buffer.Dispose();

        protected override void Gather(int slot)
        {
            if (Parameters[slot].Grad is { } grad) buffer.Write(offsets[slot], grad);
            else buffer.Fill(offsets[slot], Parameters[slot].Value.Length, 0f);
        }

        protected override IPendingReduction StartSum() => buffer.StartAllReduceSum();

        protected override void Scatter(int slot) => buffer.Read(offsets[slot], Parameters[slot].EnsureGrad());
    }
}
