using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BiGS.Native.Distributed;

/// <summary>
/// MPI_COMM_WORLD of Open MPI: initialised with MPI_THREAD_FUNNELED (only the training thread calls MPI), errors
/// returned rather than fatal so that each call is checked and reported with MPI's message. Dispose finalises MPI
/// (after a barrier, so that no rank finalises while another still reduces); on a failure call
/// <see cref="Abort"/> instead, which ends every rank.
/// </summary>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    private readonly OpenMpiNative mpi;
    private bool finalized;

    private MpiCommunicator(OpenMpiNative mpi, int rank, int size)
    {
        this.mpi = mpi;
        Rank = rank;
        Size = size;
    }

    /// <summary>Initialises MPI (once per process) and joins MPI_COMM_WORLD.</summary>
    /// <exception cref="DllNotFoundException">Open MPI is not installed.</exception>
    /// <exception cref="MpiException">MPI failed to start.</exception>
    public static MpiCommunicator Initialize()
    {
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
        return new MpiCommunicator(mpi, rank, size);
    }

    /// <inheritdoc />
    public int Rank { get; }

    /// <inheritdoc />
    public int Size { get; }

    /// <inheritdoc />
    public void AllReduceSum(Span<double> values)
    {
        fixed (double* data = values)
            mpi.Check(mpi.Allreduce(InPlace, data, values.Length, mpi.Double, mpi.Sum, mpi.CommWorld), "MPI_Allreduce");
    }

    /// <inheritdoc />
    public IPendingReduction StartAllReduceSum(float[] buffer, int count)
    {
        if ((uint)count > (uint)buffer.Length) throw new ArgumentOutOfRangeException(nameof(count), count, $"the buffer holds {buffer.Length} floats");
        void* data = Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        IntPtr request;
        mpi.Check(mpi.Iallreduce(InPlace, data, count, mpi.Float, mpi.Sum, mpi.CommWorld, &request), "MPI_Iallreduce");
        return new Request(mpi, request, buffer);
    }

    /// <inheritdoc />
    public void Broadcast(Span<byte> data, int root)
    {
        fixed (byte* bytes = data)
            mpi.Check(mpi.Bcast(bytes, data.Length, mpi.Byte, root, mpi.CommWorld), "MPI_Bcast");
    }

    /// <inheritdoc />
    public void Barrier() => mpi.Check(mpi.Barrier(mpi.CommWorld), "MPI_Barrier");

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

    /// <summary>An MPI_Request of an MPI_Iallreduce; keeps its buffer referenced until complete.</summary>
    private sealed class Request(OpenMpiNative mpi, IntPtr handle, float[] buffer) : IPendingReduction
    {
        private IntPtr handle = handle;
        private float[]? buffer = buffer;

        public bool Test()
        {
            if (buffer is null) return true;
            int done = 0;
            IntPtr request = handle;
            mpi.Check(mpi.Test(&request, &done, IntPtr.Zero), "MPI_Test");
            handle = request;
            if (done != 0) buffer = null;
            return done != 0;
        }

        public void Wait()
        {
            if (buffer is null) return;
            IntPtr request = handle;
            mpi.Check(mpi.Wait(&request, IntPtr.Zero), "MPI_Wait");
            handle = request;
            buffer = null;
        }
    }
}
