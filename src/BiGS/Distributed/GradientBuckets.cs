using System.Diagnostics;
using BiGS.Native.Autograd;
using BiGS.Native.Tensors;

namespace BiGS.Native.Distributed;

/// <summary>
/// Sums the parameters' gradients over all ranks in buckets while the backward pass is still running, as PyTorch's
/// DistributedDataParallel does. Parameters are grouped, in reverse order (the order the backward finishes them),
/// into buckets of at most <c>bucketBytes</c>; when the backward has finished every parameter of a bucket
/// (<see cref="GradientReady"/>), its gradients are copied into the bucket's buffer (host memory for MPI, device
/// memory for NCCL: the <see cref="ICollectiveEngine"/>'s) and its all-reduce starts. Buckets start strictly in index order, so every rank issues the same sequence of collectives.
/// <see cref="Finish"/> starts what is left (parameters the backward did not reach), waits for all, and copies the
/// sums back into the gradients.
/// Each bucket also carries one flag per parameter (1 where this rank has a gradient), so that a parameter gets a
/// gradient after the reduction exactly when some rank had one, as in a single process.
/// </summary>
public sealed class GradientBuckets : IDisposable
{
    /// <summary>The default bucket size: 4 MiB of gradients.</summary>
    public const int DefaultBucketBytes = 4 << 20;

    private readonly Bucket[] buckets;
    private readonly Dictionary<Variable, (Bucket Bucket, int Slot)> place = new(ReferenceEqualityComparer.Instance);
    private int nextToStart;

    /// <summary>
    /// Groups <paramref name="parameters"/> (in forward order) into buckets of at most <paramref name="bucketBytes"/>,
    /// each staged in a buffer of <paramref name="engine"/>.
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
        buckets = [.. groups.Where(g => g.Count > 0).Select(g => new Bucket(g, engine))];
        foreach (var bucket in buckets)
            for (int i = 0; i < bucket.Parameters.Count; i++) place[bucket.Parameters[i]] = (bucket, i);
    }

    /// <summary>Number of buckets, each all-reduced (summed over ranks) as one message.</summary>
    public int BucketCount => buckets.Length;

    /// <summary>Floats each step reduces (gradients plus one flag per parameter).</summary>
    public long FloatsPerStep => buckets.Sum(b => (long)b.Length);

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
    /// Starts the buckets still waiting (staging whatever gradient each parameter has, zeros where none), waits
    /// for every reduction, and replaces each gradient by the sum over ranks.
    /// </summary>
    public void Finish()
    {
        StartCompleteBuckets(all: true);
        long started = Stopwatch.GetTimestamp();
        foreach (var bucket in buckets) bucket.Pending!.Wait();
        WaitSeconds += Stopwatch.GetElapsedTime(started).TotalSeconds;
        foreach (var bucket in buckets) bucket.Unstage();
        nextToStart = 0;
    }

    private void StartCompleteBuckets(bool all)
    {
        while (nextToStart < buckets.Length && (all || buckets[nextToStart].IsComplete))
        {
            var bucket = buckets[nextToStart++];
            bucket.StageRest();
            bucket.Pending = bucket.Buffer.StartAllReduceSum();
        }
    }

    /// <summary>Frees the buckets' buffers.</summary>
    public void Dispose()
    {
        foreach (var bucket in buckets) bucket.Buffer.Dispose();
    }

    /// <summary>
    /// Parameters whose gradients travel together: their elements back to back in <see cref="Buffer"/>, then one
    /// has-gradient flag per parameter.
    /// </summary>
    private sealed class Bucket
    {
        private readonly int[] offsets;
        private readonly bool[] staged;
        private readonly int flags;
        private int stagedCount;

        public Bucket(List<Parameter> parameters, ICollectiveEngine engine)
        {
            Parameters = parameters;
            offsets = new int[parameters.Count];
            staged = new bool[parameters.Count];
            int length = 0;
            for (int i = 0; i < parameters.Count; i++)
            {
                offsets[i] = length;
                length += parameters[i].Value.Length;
            }
            flags = length;
            Length = length + parameters.Count;
            Buffer = engine.CreateBuffer(Length);
        }

        public List<Parameter> Parameters { get; }

        public IReductionBuffer Buffer { get; }

        /// <summary>Floats in the buffer: the gradients' elements and the flags.</summary>
        public int Length { get; }

        public IPendingReduction? Pending { get; set; }

        public bool IsComplete => stagedCount == Parameters.Count;

        /// <summary>Copies parameter <paramref name="slot"/>'s gradient (zeros if it has none) and its flag into the buffer.</summary>
        public void Stage(int slot)
        {
            if (staged[slot]) return;
            staged[slot] = true;
            stagedCount++;
            if (Parameters[slot].Grad is { } grad) Buffer.Write(offsets[slot], grad);
            else Buffer.Fill(offsets[slot], Parameters[slot].Value.Length, 0f);
            Buffer.Fill(flags + slot, 1, Parameters[slot].Grad is null ? 0f : 1f);
        }

        public void StageRest()
        {
            for (int slot = 0; slot < Parameters.Count; slot++) Stage(slot);
        }

        /// <summary>
        /// Writes the summed gradients back: to every parameter some rank had a gradient for. The flags are read
        /// (from the device, for device buffers) only when this rank lacks a gradient of the bucket.
        /// </summary>
        public void Unstage()
        {
            var someRankHad = new float[Parameters.Count];
            if (Parameters.Any(p => p.Grad is null)) Buffer.ReadToHost(flags, someRankHad);
            for (int slot = 0; slot < Parameters.Count; slot++)
            {
                var parameter = Parameters[slot];
                if (parameter.Grad is null && someRankHad[slot] == 0f) continue;
                Buffer.Read(offsets[slot], parameter.EnsureGrad());
            }
            Array.Clear(staged);
            stagedCount = 0;
            Pending = null;
        }
    }
}
