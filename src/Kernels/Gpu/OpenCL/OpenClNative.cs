using System.Runtime.InteropServices;

namespace BiGS.Native.Kernels.Gpu.OpenCL;

/// <summary>P/Invoke declarations for the OpenCL 1.2 entry points this project uses (libOpenCL.so.1 / OpenCL.dll).</summary>
internal static unsafe class OpenClNative
{
    public const uint DeviceTypeAll = 0xFFFFFFFF;
    public const uint PlatformName = 0x0902;
    public const uint DeviceName = 0x102B;
    public const uint DeviceMaxWorkGroupSize = 0x1004;
    public const uint DeviceMaxMemAllocSize = 0x1010;
    public const uint ProgramBuildLog = 0x1183;
    public const ulong MemReadWrite = 1 << 0;

    static OpenClNative() => GpuLibraryResolver.EnsureRegistered();

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern int clGetPlatformIDs(uint count, nint* platforms, uint* available);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern int clGetPlatformInfo(nint platform, uint param, nuint size, void* value, nuint* sizeReturned);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern int clGetDeviceIDs(nint platform, ulong type, uint count, nint* devices, uint* available);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern int clGetDeviceInfo(nint device, uint param, nuint size, void* value, nuint* sizeReturned);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern nint clCreateContext(nint* properties, uint deviceCount, nint* devices, nint notify, nint userData, int* error);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern nint clCreateCommandQueue(nint context, nint device, ulong properties, int* error);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern nint clCreateProgramWithSource(nint context, uint count, byte** strings, nuint* lengths, int* error);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern int clBuildProgram(nint program, uint deviceCount, nint* devices, byte* options, nint notify, nint userData);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern int clGetProgramBuildInfo(nint program, nint device, uint param, nuint size, void* value, nuint* sizeReturned);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern nint clCreateKernel(nint program, byte* name, int* error);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern int clSetKernelArg(nint kernel, uint index, nuint size, void* value);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern int clEnqueueNDRangeKernel(nint queue, nint kernel, uint dims, nuint* offset, nuint* global, nuint* local,
        uint waitCount, nint* waitList, nint* evt);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern nint clCreateBuffer(nint context, ulong flags, nuint size, void* host, int* error);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern int clEnqueueWriteBuffer(nint queue, nint buffer, uint blocking, nuint offset, nuint size, void* source,
        uint waitCount, nint* waitList, nint* evt);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern int clEnqueueReadBuffer(nint queue, nint buffer, uint blocking, nuint offset, nuint size, void* destination,
        uint waitCount, nint* waitList, nint* evt);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern int clEnqueueFillBuffer(nint queue, nint buffer, void* pattern, nuint patternSize, nuint offset, nuint size,
        uint waitCount, nint* waitList, nint* evt);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern int clFinish(nint queue);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern int clReleaseMemObject(nint buffer);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern int clReleaseKernel(nint kernel);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern int clReleaseProgram(nint program);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern int clReleaseCommandQueue(nint queue);

    [DllImport(GpuLibraryResolver.OpenCL)]
    public static extern int clReleaseContext(nint context);
}
