using System.Buffers;

namespace BiGS.Native.Distributed;

/// <summary>
/// MPI_COMM_WORLD of Open MPI: initialised with MPI_THREAD_FUNNELED (only the training thread calls MPI), errors
/// returned rather than fatal so that each call is checked and reported with MPI's message. Every collective is
/// nonblocking underneath and waited for by polling MPI_Test against <see cref="CollectiveTimeout"/>: a rank that
/// hangs (alive but silent) makes the others throw <see cref="CollectiveTimeoutException"/> instead of waiting
/// forever. Dispose finalises MPI (after a barrier, so that no rank finalises while another still reduces); on a
/// failure call <see cref="Abort"/> instead, which ends every rank.
/// </summary>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    /// <summary>
    /// The default <see cref="CollectiveTimeout"/>: 30 minutes, PyTorch's default for its process groups. A wait
    /// includes whatever rank 0 does alone in between (evaluation, checkpoints), so it must exceed those.
    /// </summary>
    public static readonly TimeSpan DefaultCollectiveTimeout = TimeSpan.FromMinutes(30);

    private readonly OpenMpiNative mpi;
    private bool finalized;

    private MpiCommunicator(OpenMpiNative mpi, int rank, int size, TimeSpan collectiveTimeout)
    {
        this.mpi = mpi;
        Rank = rank;
        Size = size;
        CollectiveTimeout = collectiveTimeout;
    }

    /// <summary>
    /// Initialises MPI (once per process) and joins MPI_COMM_WORLD; a collective that has not completed after
    /// <paramref name="collectiveTimeout"/> (default <see cref="DefaultCollectiveTimeout"/>) throws.
    /// </summary>
    /// <exception cref="DllNotFoundException">Open MPI is not installed.</exception>
    /// <exception cref="MpiException">MPI failed to start.</exception>
    public static MpiCommunicator Initialize(TimeSpan? collectiveTimeout = null)
    {
        var timeout = collectiveTimeout ?? DefaultCollectiveTimeout;
        if (timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(collectiveTimeout), timeout, "the collective timeout must be positive");
        var mpi = OpenMpiNative.Load();
        int initialized = 0, provided = 0, rank = 0, size = 0;
        mpi.Check(mpi.Initialized(&initialized), "MPI_Initialized");
        if (initialized != 0) throw new MpiException("MPI is already initialised in this process; create one MpiCommunicator");
        mpi.Check(mpi.InitThread(null, IntPtr.Zero, OpenMpiNative.ThreadFunneled, &provided), "MPI_Init_thread");
        if (provided < OpenMpiNative.ThreadFunneled)
            throw new MpiException($"MPI provides thread level {provided}, below MPI_THREAD_FUNNELED");
        mpi.Check(mpi.CommSetErrhandler(mpi.CommWorld, mpi.ErrorsReturn), "MPI_Comm_set_errhandler");
        mpi.Check(mpi.CommRank(mpi.CommWorld, &rank), "MPI_Comm_rank");
        mpi.Check(mpi.CommSize(mpi.CommWorld, &size), "MPI_Comm_size");
        return new MpiCommunicator(mpi, rank, size, timeout);
    }

    /// <inheritdoc />
    public TimeSpan CollectiveTimeout { get; }

    /// <inheritdoc />
    public int Rank { get; }

    /// <inheritdoc />
    public int Size { get; }

    /// <inheritdoc />
    public void AllReduceSum(Span<double> values)
    {
        fixed (double* data = values)
        {
            IntPtr request;
            mpi.Check(mpi.Iallreduce(InPlace, data, values.Length, mpi.Double, mpi.Sum, mpi.CommWorld, &request), "MPI_Iallreduce");
            WaitFor(request, "all-reduce");
        }
    }

    /// <inheritdoc />
    public IPendingReduction StartAllReduceSum(Memory<float> values)
    {
        var pin = values.Pin();
        IntPtr request;
        try
        {
            mpi.Check(mpi.Iallreduce(InPlace, pin.Pointer, values.Length, mpi.Float, mpi.Sum, mpi.CommWorld, &request), "MPI_Iallreduce");
        }
        catch
        {
            pin.Dispose();
            throw;
        }
        return new Request(this, request, pin);
    }

    /// <inheritdoc />
    public void Broadcast(Span<byte> data, int root)
    {
        fixed (byte* bytes = data)
        {
            IntPtr request;
            mpi.Check(mpi.Ibcast(bytes, data.Length, mpi.Byte, root, mpi.CommWorld, &request), "MPI_Ibcast");
            WaitFor(request, "broadcast");
        }
    }

    /// <inheritdoc />
    public void Barrier()
    {
        IntPtr request;
        mpi.Check(mpi.Ibarrier(mpi.CommWorld, &request), "MPI_Ibarrier");
        WaitFor(request, "barrier");
    }

    /// <inheritdoc />
    public void Abort(int exitCode)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        mpi.Abort(mpi.CommWorld, exitCode);
        Environment.Exit(exitCode); // MPI_Abort does not return; this is only reached if it failed
    }

    /// <summary>Waits for every rank, then MPI_Finalize.</summary>
    public void Dispose()
    {
        if (finalized) return;
        finalized = true;
        Barrier();
        mpi.Check(mpi.Finalize(), "MPI_Finalize");
    }

    /// <summary>MPI_IN_PLACE, ((void *) 1) in Open MPI's mpi.h.</summary>
    private static void* InPlace => (void*)1;

    /// <summary>Polls <paramref name="request"/> with MPI_Test until it completes, or throws after <see cref="CollectiveTimeout"/>.</summary>
    private void WaitFor(IntPtr request, string collective) => CollectiveWait.Until(() => TestOnce(ref request), CollectiveTimeout, collective);

    /// <summary>One MPI_Test of <paramref name="request"/> (MPI sets it to MPI_REQUEST_NULL once complete); true when complete.</summary>
    private bool TestOnce(ref IntPtr request)
    {
        int done = 0;
        fixed (IntPtr* handle = &request)
            mpi.Check(mpi.Test(handle, &done, IntPtr.Zero), "MPI_Test");
        return done != 0;
    }

    /// <summary>An MPI_Request of an MPI_Iallreduce; keeps its memory pinned until complete.</summary>
    private sealed class Request(MpiCommunicator communicator, IntPtr handle, MemoryHandle pin) : IPendingReduction
    {
        private IntPtr handle = handle;
        private MemoryHandle pin = pin;
        private bool done;

        public bool Test()
        {
            if (done) return true;
            if (!communicator.TestOnce(ref handle)) return false;
            done = true;
            pin.Dispose();
            return true;
        }

        public void Wait() => CollectiveWait.Until(Test, communicator.CollectiveTimeout, "all-reduce");
    }
}
