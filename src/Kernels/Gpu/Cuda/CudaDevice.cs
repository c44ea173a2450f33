using System.Runtime.InteropServices;
using System.Text;
using static BiGS.Native.Kernels.Gpu.Cuda.CudaNative;

namespace BiGS.Native.Kernels.Gpu.Cuda;

/// <summary>
/// One NVIDIA device through the CUDA driver API: a context, the module loaded from the embedded PTX
/// (<see cref="GpuKernelSource.Ptx"/>) and launches on the default stream. Only the driver is needed at run time.
/// </summary>
public sealed unsafe class CudaDevice : IGpuDevice
{
    private readonly nint context;
    private readonly nint module;
    private readonly Dictionary<string, nint> functions = [];
    private readonly object gate = new();
    private long allocatedBytes;
    private bool disposed;

    private CudaDevice(int index)
    {
        int device;
        Check(cuDeviceGet(&device, index), "cuDeviceGet");
        var name = new byte[256];
        fixed (byte* n = name) Check(cuDeviceGetName(n, name.Length, device), "cuDeviceGetName");
        Description = $"cuda:{index} ({Encoding.ASCII.GetString(name).TrimEnd('\0')})";
        int maxThreads;
        Check(cuDeviceGetAttribute(&maxThreads, AttributeMaxThreadsPerBlock, device), "cuDeviceGetAttribute");
        MaxGroupSize = maxThreads;
        nint created;
        Check(cuCtxCreate_v2(&created, 0, device), "cuCtxCreate");
        context = created;
        var ptx = Encoding.ASCII.GetBytes(GpuKernelSource.Ptx() + "\0");
        nint loaded;
        fixed (byte* p = ptx) Check(cuModuleLoadData(&loaded, p), "cuModuleLoadData", "loading the BiGS kernels' PTX (needs sm_70 or newer)");
        module = loaded;
    }

    /// <summary>Null when a CUDA device can be used, otherwise the reason it cannot (no driver, no device).</summary>
    public static string? Unavailability()
    {
        GpuLibraryResolver.EnsureRegistered();
        if (!GpuLibraryResolver.IsAvailable(GpuLibraryResolver.Cuda))
            return "no CUDA driver/device: the CUDA driver library (libcuda.so.1 / nvcuda.dll) is not installed";
        int status = cuInit(0);
        if (status == ErrorNoDevice) return "no CUDA driver/device: the driver reports no CUDA-capable device";
        if (status != Success) return $"no CUDA driver/device: cuInit failed with {CudaException.CodeName(status)} ({status})";
        int count;
        status = cuDeviceGetCount(&count);
        return status != Success || count == 0 ? "no CUDA driver/device: the driver reports no CUDA-capable device" : null;
    }

    /// <summary>Opens CUDA device <paramref name="index"/>; throws with the reason when there is none.</summary>
    public static CudaDevice Open(int index)
    {
        if (Unavailability() is { } reason) throw new InvalidOperationException(reason);
        int count;
        Check(cuDeviceGetCount(&count), "cuDeviceGetCount");
        if (index < 0 || index >= count)
            throw new ArgumentOutOfRangeException(nameof(index), $"CUDA device {index} does not exist; the driver reports {count}");
        return new CudaDevice(index);
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public int MaxGroupSize { get; }

    /// <inheritdoc />
    public long AllocatedBytes => Interlocked.Read(ref allocatedBytes);

    /// <inheritdoc />
    public IGpuBuffer Allocate(long bytes)
    {
        long size = Math.Max(bytes, 4);
        lock (gate)
        {
            MakeCurrent();
            ulong pointer;
            int status = cuMemAlloc_v2(&pointer, (nuint)size);
            if (status == ErrorOutOfMemory)
                throw new GpuOutOfMemoryException(Description, bytes, AllocatedBytes, "the driver refused it",
                    new CudaException("cuMemAlloc", status));
            Check(status, "cuMemAlloc", $"allocating {bytes} bytes on {Description}");
            Interlocked.Add(ref allocatedBytes, size);
            return new CudaBuffer(this, pointer, size);
        }
    }

    /// <inheritdoc />
    public void Zero(IGpuBuffer buffer)
    {
        var b = Own(buffer);
        lock (gate)
        {
            MakeCurrent();
            Check(cuMemsetD8_v2(b.Pointer, 0, (nuint)b.Bytes), "cuMemsetD8");
        }
    }

    /// <inheritdoc />
    public void Write(IGpuBuffer buffer, long byteOffset, ReadOnlySpan<byte> source)
    {
        if (source.IsEmpty) return;
        var b = Own(buffer);
        lock (gate)
        {
            MakeCurrent();
            fixed (byte* s = source) Check(cuMemcpyHtoD_v2(b.Pointer + (ulong)byteOffset, s, (nuint)source.Length), "cuMemcpyHtoD");
        }
    }

    /// <inheritdoc />
    public void Read(IGpuBuffer buffer, long byteOffset, Span<byte> destination)
    {
        if (destination.IsEmpty) return;
        var b = Own(buffer);
        lock (gate)
        {
            MakeCurrent();
            fixed (byte* d = destination) Check(cuMemcpyDtoH_v2(d, b.Pointer + (ulong)byteOffset, (nuint)destination.Length), "cuMemcpyDtoH");
        }
    }

    /// <inheritdoc />
    public void Launch(string kernel, GpuGrid grid, ReadOnlySpan<KernelArg> arguments)
    {
        // cuLaunchKernel takes an array of pointers to each argument's value; lay the values out in unmanaged memory.
        int valueBytes = 0;
        foreach (var argument in arguments) valueBytes += argument.Buffer is null ? argument.Value!.Length : sizeof(ulong);
        byte* values = (byte*)NativeMemory.Alloc((nuint)Math.Max(valueBytes, 1));
        void** pointers = (void**)NativeMemory.Alloc((nuint)(Math.Max(arguments.Length, 1) * sizeof(void*)));
        try
        {
            byte* cursor = values;
            for (int i = 0; i < arguments.Length; i++)
            {
                pointers[i] = cursor;
                if (arguments[i].Buffer is { } buffer)
                {
                    *(ulong*)cursor = Own(buffer).Pointer;
                    cursor += sizeof(ulong);
                }
                else
                {
                    arguments[i].Value.AsSpan().CopyTo(new Span<byte>(cursor, arguments[i].Value!.Length));
                    cursor += arguments[i].Value!.Length;
                }
            }
            lock (gate)
            {
                MakeCurrent();
                int status = cuLaunchKernel(Function(kernel), (uint)grid.Groups.X, (uint)grid.Groups.Y, (uint)grid.Groups.Z,
                    (uint)grid.Local.X, (uint)grid.Local.Y, (uint)grid.Local.Z, 0, 0, pointers, null);
                Check(status, "cuLaunchKernel", $"kernel '{kernel}', grid {grid}");
            }
        }
        finally
        {
            NativeMemory.Free(values);
            NativeMemory.Free(pointers);
        }
    }

    /// <inheritdoc />
    public void Synchronize()
    {
        lock (gate)
        {
            MakeCurrent();
            Check(cuCtxSynchronize(), "cuCtxSynchronize");
        }
    }

    /// <summary>Unloads the module and destroys the context.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            cuModuleUnload(module);
            cuCtxDestroy_v2(context);
        }
    }

    /// <summary>Frees device memory; waits for launches first, as one may still be using it.</summary>
    internal void Free(ulong pointer, long bytes)
    {
        lock (gate)
        {
            Interlocked.Add(ref allocatedBytes, -bytes);
            if (disposed) return;
            MakeCurrent();
            cuCtxSynchronize();
            cuMemFree_v2(pointer);
        }
    }

    private void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        Check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    private nint Function(string name)
    {
        if (functions.TryGetValue(name, out nint function)) return function;
        var bytes = Encoding.ASCII.GetBytes(name + "\0");
        fixed (byte* n = bytes) Check(cuModuleGetFunction(&function, module, n), "cuModuleGetFunction", $"kernel '{name}'");
        functions[name] = function;
        return function;
    }

    private static void Check(int status, string call, string? detail = null) => CudaException.Check(status, call, detail);

    private CudaBuffer Own(IGpuBuffer buffer) =>
        buffer is CudaBuffer b && b.Owner == this ? b : throw new ArgumentException($"{Description} got a buffer it does not own");
}

/// <summary>CUDA device memory; freed on Dispose (or by the finalizer if forgotten).</summary>
internal sealed class CudaBuffer : IGpuBuffer
{
    private ulong pointer;

    public CudaBuffer(CudaDevice owner, ulong pointer, long bytes)
    {
        Owner = owner;
        this.pointer = pointer;
        Bytes = bytes;
    }

    ~CudaBuffer() => Free();

    public CudaDevice Owner { get; }

    public long Bytes { get; }

    public ulong Pointer => pointer != 0 ? pointer : throw new ObjectDisposedException(nameof(CudaBuffer), "the CUDA buffer was freed");

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        ulong p = Interlocked.Exchange(ref pointer, 0);
        if (p != 0) Owner.Free(p, Bytes);
    }
}
