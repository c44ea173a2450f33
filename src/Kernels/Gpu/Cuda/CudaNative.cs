using System.Runtime.InteropServices;

namespace BiGS.Native.Kernels.Gpu.Cuda;

/// <summary>
/// P/Invoke declarations for the CUDA driver API (libcuda.so.1 / nvcuda.dll), the _v2 entry points where the
/// headers map the plain names to them. Device pointers (CUdeviceptr) are 64-bit integers.
/// </summary>
internal static unsafe class CudaNative
{
    public const int Success = 0;
    public const int ErrorNoDevice = 100;
    public const int ErrorOutOfMemory = 2;
    public const int AttributeMaxThreadsPerBlock = 1;

    static CudaNative() => GpuLibraryResolver.EnsureRegistered();

    [DllImport(GpuLibraryResolver.Cuda)] public static extern int cuInit(uint flags);
    [DllImport(GpuLibraryResolver.Cuda)] public static extern int cuDeviceGetCount(int* count);
    [DllImport(GpuLibraryResolver.Cuda)] public static extern int cuDeviceGet(int* device, int ordinal);
    [DllImport(GpuLibraryResolver.Cuda)] public static extern int cuDeviceGetName(byte* name, int length, int device);
    [DllImport(GpuLibraryResolver.Cuda)] public static extern int cuDeviceGetAttribute(int* value, int attribute, int device);
    [DllImport(GpuLibraryResolver.Cuda)] public static extern int cuCtxCreate_v2(nint* context, uint flags, int device);
    [DllImport(GpuLibraryResolver.Cuda)] public static extern int cuCtxDestroy_v2(nint context);
    [DllImport(GpuLibraryResolver.Cuda)] public static extern int cuCtxSetCurrent(nint context);
    [DllImport(GpuLibraryResolver.Cuda)] public static extern int cuCtxSynchronize();
    [DllImport(GpuLibraryResolver.Cuda)] public static extern int cuModuleLoadData(nint* module, void* image);
    [DllImport(GpuLibraryResolver.Cuda)] public static extern int cuModuleUnload(nint module);
    [DllImport(GpuLibraryResolver.Cuda)] public static extern int cuModuleGetFunction(nint* function, nint module, byte* name);
    [DllImport(GpuLibraryResolver.Cuda)] public static extern int cuMemAlloc_v2(ulong* pointer, nuint bytes);
    [DllImport(GpuLibraryResolver.Cuda)] public static extern int cuMemFree_v2(ulong pointer);
    [DllImport(GpuLibraryResolver.Cuda)] public static extern int cuMemcpyHtoD_v2(ulong destination, void* source, nuint bytes);
    [DllImport(GpuLibraryResolver.Cuda)] public static extern int cuMemcpyDtoH_v2(void* destination, ulong source, nuint bytes);
    [DllImport(GpuLibraryResolver.Cuda)] public static extern int cuMemsetD8_v2(ulong destination, byte value, nuint count);
    [DllImport(GpuLibraryResolver.Cuda)] public static extern int cuGetErrorName(int error, byte** name);

    [DllImport(GpuLibraryResolver.Cuda)]
    public static extern int cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedBytes, nint stream, void** parameters, void** extra);
}
