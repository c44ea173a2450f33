using System.Runtime.InteropServices;

namespace BiGS.Native.Kernels.Gpu.Cuda;

/// <summary>A CUDA driver call failed; the message names the call and the CUresult (e.g. CUDA_ERROR_OUT_OF_MEMORY).</summary>
public sealed class CudaException : Exception
{
    /// <summary>Creates the exception for <paramref name="call"/> returning <paramref name="code"/>.</summary>
    public CudaException(string call, int code, string? detail = null)
        : base($"{call} failed with {CodeName(code)} ({code})" + (detail is null ? "" : $": {detail}"))
    {
        Call = call;
        Code = code;
    }

    /// <summary>The driver function that failed.</summary>
    public string Call { get; }

    /// <summary>The raw CUresult.</summary>
    public int Code { get; }

    /// <summary>Throws when <paramref name="code"/> is not CUDA_SUCCESS.</summary>
    public static void Check(int code, string call, string? detail = null)
    {
        if (code != CudaNative.Success) throw new CudaException(call, code, detail);
    }

    /// <summary>The driver's symbolic name for a CUresult.</summary>
    public static unsafe string CodeName(int code)
    {
        byte* name;
        return CudaNative.cuGetErrorName(code, &name) == CudaNative.Success && name != null
            ? Marshal.PtrToStringAnsi((nint)name) ?? "unknown CUDA error"
            : "unknown CUDA error";
    }
}
