namespace BiGS.Native.Distributed;

/// <summary>
/// The processes (ranks) of a data-parallel run and the collectives training needs: every rank calls each
/// collective in the same order. <see cref="SingleProcess"/> is the run without MPI; <see cref="MpiCommunicator"/>
/// is Open MPI's MPI_COMM_WORLD.
/// </summary>
public interface ICommunicator : IDisposable
{
    /// <summary>This process's index, 0..<see cref="Size"/>-1; rank 0 writes the run's files.</summary>
    int Rank { get; }

    /// <summary>Number of processes (ranks) in the job; ranks are numbered 0 to Size - 1.</summary>
    int Size { get; }

    /// <summary>
    /// How long a rank waits for a collective to complete before it gives up on its peers and throws
    /// <see cref="CollectiveTimeoutException"/> (infinite for a single process).
    /// </summary>
    TimeSpan CollectiveTimeout { get; }

    /// <summary>Replaces <paramref name="values"/> on every rank by their element-wise sum over all ranks.</summary>
    void AllReduceSum(Span<double> values);

    /// <summary>
    /// Starts summing <paramref name="values"/> (host memory) over all ranks, in place, and returns at once; the
    /// memory is pinned until the reduction is done and must be left untouched until then.
    /// </summary>
    IPendingReduction StartAllReduceSum(Memory<float> values);

    /// <summary>Copies <paramref name="data"/> from rank <paramref name="root"/> to every rank.</summary>
    void Broadcast(Span<byte> data, int root);

    /// <summary>Returns on each rank once every rank has called it.</summary>
    void Barrier();

    /// <summary>Ends every rank of the run with exit code <paramref name="exitCode"/> (MPI_Abort); does not return.</summary>
    void Abort(int exitCode);
}

/// <summary>A nonblocking reduction in flight.</summary>
public interface IPendingReduction
{
    /// <summary>Lets the reduction progress; true once it is complete.</summary>
    bool Test();

    /// <summary>Blocks until the reduction is complete.</summary>
    void Wait();
}

/// <summary>One process on its own: every collective is the identity.</summary>
public sealed class SingleProcess : ICommunicator
{
    /// <inheritdoc />
    public int Rank => 0;

    /// <inheritdoc />
    public int Size => 1;

    /// <inheritdoc />
    public TimeSpan CollectiveTimeout => Timeout.InfiniteTimeSpan;

    /// <inheritdoc />
    public void AllReduceSum(Span<double> values) { }

    /// <inheritdoc />
    public IPendingReduction StartAllReduceSum(Memory<float> values) => Completed.Instance;

    /// <inheritdoc />
    public void Broadcast(Span<byte> data, int root) { }

    /// <inheritdoc />
    public void Barrier() { }

    /// <inheritdoc />
    public void Abort(int exitCode) => Environment.Exit(exitCode);

    /// <inheritdoc />
    public void Dispose() { }

    private sealed class Completed : IPendingReduction
    {
        public static readonly Completed Instance = new();

        public bool Test() => true;

        public void Wait() { }
    }
}
