using System.Runtime.InteropServices;

namespace BiGS.Native.Gpu.Nccl;

/// <summary>
/// The few NCCL calls data parallelism needs, bound at run time from <c>libnccl.so.2</c> (NVIDIA's libnccl2 package,
/// or a CUDA container's copy), and <c>cuStreamQuery</c> from the driver's <c>libcuda.so.1</c> to poll for
/// completion. Nothing is loaded until a CUDA run with several ranks asks for NCCL; every call's result is checked
/// and a failure reported with <c>ncclGetErrorString</c>, naming the call.
/// </summary>
internal sealed unsafe class NcclNative
{
    /// <summary>The library's file name (the soname of NCCL 2).</summary>
    public const string LibraryName = "libnccl.so.2";

    /// <summary>ncclFloat32 of ncclDataType_t.</summary>
    public const int Float32 = 7;

    /// <summary>ncclSum of ncclRedOp_t.</summary>
    public const int Sum = 0;

    private const int Success = 0, CudaSuccess = 0, CudaNotReady = 600;

    private NcclNative(IntPtr nccl, IntPtr cuda)
    {
        GetVersion = (delegate* unmanaged<int*, int>)Export(nccl, "ncclGetVersion");
        GetUniqueId = (delegate* unmanaged<NcclUniqueId*, int>)Export(nccl, "ncclGetUniqueId");
        CommInitRank = (delegate* unmanaged<IntPtr*, int, NcclUniqueId, int, int>)Export(nccl, "ncclCommInitRank");
        AllReduce = (delegate* unmanaged<void*, void*, nuint, int, int, IntPtr, IntPtr, int>)Export(nccl, "ncclAllReduce");
        CommGetAsyncError = (delegate* unmanaged<IntPtr, int*, int>)Export(nccl, "ncclCommGetAsyncError");
        CommAbort = (delegate* unmanaged<IntPtr, int>)Export(nccl, "ncclCommAbort");
        CommDestroy = (delegate* unmanaged<IntPtr, int>)Export(nccl, "ncclCommDestroy");
        GetErrorString = (delegate* unmanaged<int, byte*>)Export(nccl, "ncclGetErrorString");
        StreamQuery = (delegate* unmanaged<IntPtr, int>)Export(cuda, "cuStreamQuery");
        CudaErrorString = (delegate* unmanaged<int, byte**, int>)Export(cuda, "cuGetErrorString");
    }

#pragma warning disable CS1591 // NCCL's and CUDA's documentation describe these; each is named after its C function
    public delegate* unmanaged<int*, int> GetVersion { get; }
    public delegate* unmanaged<NcclUniqueId*, int> GetUniqueId { get; }
    public delegate* unmanaged<IntPtr*, int, NcclUniqueId, int, int> CommInitRank { get; }
    public delegate* unmanaged<void*, void*, nuint, int, int, IntPtr, IntPtr, int> AllReduce { get; }
    public delegate* unmanaged<IntPtr, int*, int> CommGetAsyncError { get; }
    public delegate* unmanaged<IntPtr, int> CommAbort { get; }
    public delegate* unmanaged<IntPtr, int> CommDestroy { get; }
    public delegate* unmanaged<int, byte*> GetErrorString { get; }
    public delegate* unmanaged<IntPtr, int> StreamQuery { get; }
    public delegate* unmanaged<int, byte**, int> CudaErrorString { get; }
#pragma warning restore CS1591

    /// <summary>Opens NCCL and the CUDA driver, or says why not.</summary>
    /// <exception cref="DllNotFoundException">libnccl.so.2 or libcuda.so.1 cannot be loaded (the message is the loader's).</exception>
    public static NcclNative Load() => new(NativeLibrary.Load(LibraryName), NativeLibrary.Load("libcuda.so.1"));

    /// <summary>NCCL's version as major.minor.patch (ncclGetVersion's code is major*10000 + minor*100 + patch).</summary>
    public string Version()
    {
        int code = 0;
        Check(GetVersion(&code), "ncclGetVersion");
        return $"{code / 10000}.{code % 10000 / 100}.{code % 100}";
    }

    /// <summary>Throws <see cref="NcclException"/> naming <paramref name="call"/> and NCCL's message unless <paramref name="result"/> is ncclSuccess.</summary>
    public void Check(int result, string call)
    {
        if (result != Success) throw new NcclException(call, result, Marshal.PtrToStringUTF8((IntPtr)GetErrorString(result)) ?? "unknown error");
    }

    /// <summary>cuStreamQuery: true when the stream has no work pending; throws on a CUDA error (a failed kernel or collective).</summary>
    public bool IsStreamIdle(IntPtr stream)
    {
        int result = StreamQuery(stream);
        if (result is CudaSuccess or CudaNotReady) return result == CudaSuccess;
        byte* text = null;
        string message = CudaErrorString(result, &text) == CudaSuccess ? Marshal.PtrToStringUTF8((IntPtr)text) ?? "" : "unknown error";
        throw new NcclException("cuStreamQuery", result, message);
    }

    private static IntPtr Export(IntPtr library, string name) =>
        NativeLibrary.TryGetExport(library, name, out IntPtr address) ? address
            : throw new EntryPointNotFoundException($"{name} is missing from its library (NCCL older than 2.4, or not NVIDIA's)");
}

/// <summary>ncclUniqueId: 128 opaque bytes that rank 0 creates and every rank passes to ncclCommInitRank.</summary>
internal unsafe struct NcclUniqueId
{
    /// <summary>NCCL_UNIQUE_ID_BYTES.</summary>
    public const int Size = 128;

    /// <summary>The identifier's bytes.</summary>
    public fixed byte Bytes[Size];
}

/// <summary>An NCCL (or CUDA driver) call failed; the message names the call and gives the library's own text.</summary>
public sealed class NcclException(string call, int result, string message)
    : Exception($"{call} failed with result {result}: {message}");
