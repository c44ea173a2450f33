using System.Runtime.InteropServices;

namespace BiGS.Native.Distributed;

/// <summary>
/// The few Open MPI calls data parallelism needs, bound at run time from <c>libmpi.so.40</c> (Debian's
/// <c>libopenmpi3</c>). In Open MPI the handles MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ... are not integers but the
/// addresses of exported objects (<c>#define MPI_COMM_WORLD ((MPI_Comm) &amp;ompi_mpi_comm_world)</c>), so they are
/// resolved here as symbol addresses. The library is opened RTLD_GLOBAL, as Open MPI's own plugins expect.
/// </summary>
internal sealed unsafe class OpenMpiNative
{
    /// <summary>MPI_THREAD_FUNNELED: only the thread that initialised MPI calls it.</summary>
    public const int ThreadFunneled = 1;

    public const int Success = 0;

    private const int MaxErrorString = 256;
    private const int RtldNow = 2, RtldGlobal = 0x100;
    private static readonly string[] LibraryNames = ["libmpi.so.40", "libmpi.so"];

    private readonly IntPtr library;

    private OpenMpiNative(IntPtr library)
    {
        this.library = library;
        CommWorld = Symbol("ompi_mpi_comm_world");
        Float = Symbol("ompi_mpi_float");
        Double = Symbol("ompi_mpi_double");
        Byte = Symbol("ompi_mpi_byte");
        Sum = Symbol("ompi_mpi_op_sum");
        Max = Symbol("ompi_mpi_op_max");
        ErrorsReturn = Symbol("ompi_mpi_errors_return");
        InitThread = (delegate* unmanaged<int*, IntPtr, int, int*, int>)Symbol("MPI_Init_thread");
        Initialized = (delegate* unmanaged<int*, int>)Symbol("MPI_Initialized");
        Finalize = (delegate* unmanaged<int>)Symbol("MPI_Finalize");
        CommRank = (delegate* unmanaged<IntPtr, int*, int>)Symbol("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<IntPtr, int*, int>)Symbol("MPI_Comm_size");
        CommSetErrhandler = (delegate* unmanaged<IntPtr, IntPtr, int>)Symbol("MPI_Comm_set_errhandler");
        Iallreduce = (delegate* unmanaged<void*, void*, int, IntPtr, IntPtr, IntPtr, IntPtr*, int>)Symbol("MPI_Iallreduce");
        Test = (delegate* unmanaged<IntPtr*, int*, IntPtr, int>)Symbol("MPI_Test");
        Ibcast = (delegate* unmanaged<void*, int, IntPtr, int, IntPtr, IntPtr*, int>)Symbol("MPI_Ibcast");
        Ibarrier = (delegate* unmanaged<IntPtr, IntPtr*, int>)Symbol("MPI_Ibarrier");
        Abort = (delegate* unmanaged<IntPtr, int, int>)Symbol("MPI_Abort");
        ErrorString = (delegate* unmanaged<int, byte*, int*, int>)Symbol("MPI_Error_string");
    }

    public IntPtr CommWorld { get; }

    public IntPtr Float { get; }

    public IntPtr Double { get; }

    public IntPtr Byte { get; }

    public IntPtr Sum { get; }

    public IntPtr Max { get; }

    /// <summary>MPI_ERRORS_RETURN: calls return error codes instead of aborting.</summary>
    public IntPtr ErrorsReturn { get; }

#pragma warning disable CS1591 // the MPI standard documents these; each is named after its C function
    public delegate* unmanaged<int*, IntPtr, int, int*, int> InitThread { get; }
    public delegate* unmanaged<int*, int> Initialized { get; }
    public delegate* unmanaged<int> Finalize { get; }
    public delegate* unmanaged<IntPtr, int*, int> CommRank { get; }
    public delegate* unmanaged<IntPtr, int*, int> CommSize { get; }
    public delegate* unmanaged<IntPtr, IntPtr, int> CommSetErrhandler { get; }
    public delegate* unmanaged<void*, void*, int, IntPtr, IntPtr, IntPtr, IntPtr*, int> Iallreduce { get; }
    public delegate* unmanaged<IntPtr*, int*, IntPtr, int> Test { get; }
    public delegate* unmanaged<void*, int, IntPtr, int, IntPtr, IntPtr*, int> Ibcast { get; }
    public delegate* unmanaged<IntPtr, IntPtr*, int> Ibarrier { get; }
    public delegate* unmanaged<IntPtr, int, int> Abort { get; }
    public delegate* unmanaged<int, byte*, int*, int> ErrorString { get; }
#pragma warning restore CS1591

    /// <summary>Opens Open MPI's library, or explains why it cannot (not installed, or another MPI).</summary>
    /// <exception cref="DllNotFoundException">No libmpi, or one that is not Open MPI.</exception>
    public static OpenMpiNative Load()
    {
        var errors = new List<string>();
        foreach (string name in LibraryNames)
        {
            IntPtr handle = DlOpen(name, RtldNow | RtldGlobal);
            if (handle == IntPtr.Zero)
            {
                errors.Add($"{name}: {Marshal.PtrToStringUTF8(DlError())}");
                continue;
            }
            if (!NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out _))
                throw new DllNotFoundException($"{name} is not Open MPI (no ompi_mpi_comm_world symbol); BiGS supports Open MPI only");
            return new OpenMpiNative(handle);
        }
        throw new DllNotFoundException("Open MPI's library was not found (install openmpi-bin and libopenmpi-dev): " + string.Join("; ", errors));
    }

    /// <summary>Throws <see cref="MpiException"/> with MPI's own message when <paramref name="code"/> is not MPI_SUCCESS.</summary>
    public void Check(int code, string call)
    {
        if (code == Success) return;
        byte* text = stackalloc byte[MaxErrorString];
        int length = 0;
        string message = ErrorString(code, text, &length) == Success ? System.Text.Encoding.UTF8.GetString(text, length) : "unknown error";
        throw new MpiException($"{call} failed with MPI error {code}: {message}");
    }

    private IntPtr Symbol(string name) =>
        NativeLibrary.TryGetExport(library, name, out IntPtr address) ? address
            : throw new EntryPointNotFoundException($"Open MPI's library has no symbol {name}");

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern IntPtr DlOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string file, int mode);

    [DllImport("libc", EntryPoint = "dlerror")]
    private static extern IntPtr DlError();
}

/// <summary>An MPI call returned an error (the message is MPI's own, from MPI_Error_string).</summary>
public sealed class MpiException(string message) : Exception(message);
