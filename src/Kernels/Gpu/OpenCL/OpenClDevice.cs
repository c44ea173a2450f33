using System.Runtime.InteropServices;
using System.Text;
using static BiGS.Native.Kernels.Gpu.OpenCL.OpenClNative;

namespace BiGS.Native.Kernels.Gpu.OpenCL;

/// <summary>
/// One OpenCL device with its context, an in-order command queue and the kernel program built from
/// <see cref="GpuKernelSource.Combined"/>. Launches are asynchronous; reads wait for them.
/// </summary>
public sealed unsafe class OpenClDevice : IGpuDevice
{
    private readonly nint device;
    private readonly nint context;
    private readonly nint queue;
    private readonly nint program;
    private readonly Dictionary<string, nint> kernels = [];
    private readonly object launchGate = new();
    private readonly ulong maxAllocation;
    private long allocatedBytes;
    private bool disposed;

    private OpenClDevice(int index, OpenClDeviceInfo info)
    {
        device = info.Handle;
        Description = $"opencl:{index} ({info.Name}; {info.PlatformName})";
        nuint maxGroup;
        OpenClException.Check(clGetDeviceInfo(device, DeviceMaxWorkGroupSize, (nuint)sizeof(nuint), &maxGroup, null), "clGetDeviceInfo");
        MaxGroupSize = (int)Math.Min((ulong)maxGroup, int.MaxValue);
        ulong maxAlloc;
        OpenClException.Check(clGetDeviceInfo(device, DeviceMaxMemAllocSize, sizeof(ulong), &maxAlloc, null), "clGetDeviceInfo");
        maxAllocation = maxAlloc;

        int error;
        nint handle = device;
        context = clCreateContext(null, 1, &handle, 0, 0, &error);
        OpenClException.Check(error, "clCreateContext");
        queue = clCreateCommandQueue(context, device, 0, &error);
        OpenClException.Check(error, "clCreateCommandQueue");
        program = BuildProgram(GpuKernelSource.Combined());
    }

    /// <summary>Opens device <paramref name="index"/> of <see cref="OpenClPlatforms.Devices"/> and builds the kernels.</summary>
    public static OpenClDevice Open(int index)
    {
        var devices = OpenClPlatforms.Devices();
        if (devices.Count == 0)
            throw new InvalidOperationException(OpenClPlatforms.IsDriverPresent
                ? "no OpenCL device found (the OpenCL loader has no platform; install a driver such as pocl-opencl-icd)"
                : "no OpenCL driver: libOpenCL.so.1 / OpenCL.dll could not be loaded (install ocl-icd-libopencl1 and a driver)");
        if (index < 0 || index >= devices.Count)
            throw new ArgumentOutOfRangeException(nameof(index), $"OpenCL device {index} does not exist; found {devices.Count}: " +
                string.Join(", ", devices.Select((d, i) => $"{i}: {d.Name}")));
        return new OpenClDevice(index, devices[index]);
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
        if ((ulong)size > maxAllocation)
            throw new GpuOutOfMemoryException(Description, bytes, AllocatedBytes,
                $"the device's largest single buffer (CL_DEVICE_MAX_MEM_ALLOC_SIZE) is {maxAllocation} bytes");
        int error;
        nint buffer = clCreateBuffer(context, MemReadWrite, (nuint)size, null, &error);
        if (error is -4 or -6 or -61)
            throw new GpuOutOfMemoryException(Description, bytes, AllocatedBytes, "the driver refused it",
                new OpenClException("clCreateBuffer", error));
        OpenClException.Check(error, "clCreateBuffer");
        Interlocked.Add(ref allocatedBytes, size);
        return new OpenClBuffer(buffer, bytes, () => Interlocked.Add(ref allocatedBytes, -size));
    }

    /// <inheritdoc />
    public void Zero(IGpuBuffer buffer)
    {
        var b = Own(buffer);
        if (b.Bytes == 0) return;
        byte pattern = 0;
        OpenClException.Check(clEnqueueFillBuffer(queue, b.Handle, &pattern, 1, 0, (nuint)b.Bytes, 0, null, null),
            "clEnqueueFillBuffer");
    }

    /// <inheritdoc />
    public void Write(IGpuBuffer buffer, long byteOffset, ReadOnlySpan<byte> source)
    {
        if (source.IsEmpty) return;
        fixed (byte* s = source)
            OpenClException.Check(clEnqueueWriteBuffer(queue, Own(buffer).Handle, 1, (nuint)byteOffset, (nuint)source.Length, s, 0, null, null),
                "clEnqueueWriteBuffer");
    }

    /// <inheritdoc />
    public void Read(IGpuBuffer buffer, long byteOffset, Span<byte> destination)
    {
        if (destination.IsEmpty) return;
        fixed (byte* d = destination)
            OpenClException.Check(clEnqueueReadBuffer(queue, Own(buffer).Handle, 1, (nuint)byteOffset, (nuint)destination.Length, d, 0, null, null),
                "clEnqueueReadBuffer");
    }

    /// <inheritdoc />
    public void Launch(string kernel, GpuGrid grid, ReadOnlySpan<KernelArg> arguments)
    {
        lock (launchGate)
        {
            nint k = Kernel(kernel);
            for (int i = 0; i < arguments.Length; i++) SetArgument(kernel, k, i, arguments[i]);
            var global = stackalloc nuint[3];
            var local = stackalloc nuint[3];
            global[0] = (nuint)(grid.Groups.X * grid.Local.X);
            global[1] = (nuint)(grid.Groups.Y * grid.Local.Y);
            global[2] = (nuint)(grid.Groups.Z * grid.Local.Z);
            local[0] = (nuint)grid.Local.X;
            local[1] = (nuint)grid.Local.Y;
            local[2] = (nuint)grid.Local.Z;
            int status = clEnqueueNDRangeKernel(queue, k, 3, null, global, local, 0, null, null);
            if (status != 0) throw new OpenClException("clEnqueueNDRangeKernel", status, $"kernel '{kernel}', grid {grid}");
        }
    }

    /// <inheritdoc />
    public void Synchronize() => OpenClException.Check(clFinish(queue), "clFinish");

    /// <summary>Releases the kernels, program, queue and context.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var k in kernels.Values) clReleaseKernel(k);
        clReleaseProgram(program);
        clReleaseCommandQueue(queue);
        clReleaseContext(context);
    }

    private nint BuildProgram(string source)
    {
        int error;
        var bytes = Encoding.UTF8.GetBytes(source);
        nint created;
        fixed (byte* s = bytes)
        {
            byte* text = s;
            nuint length = (nuint)bytes.Length;
            created = clCreateProgramWithSource(context, 1, &text, &length, &error);
        }
        OpenClException.Check(error, "clCreateProgramWithSource");
        var options = Encoding.ASCII.GetBytes("-cl-std=CL1.2\0");
        nint handle = device;
        int status;
        fixed (byte* o = options) status = clBuildProgram(created, 1, &handle, o, 0, 0);
        if (status != 0)
        {
            string log = BuildLog(created);
            clReleaseProgram(created);
            throw new OpenClException("clBuildProgram", status, $"building the BiGS kernels for {Description}; build log:\n{log}");
        }
        return created;
    }

    private string BuildLog(nint built)
    {
        nuint size;
        if (clGetProgramBuildInfo(built, device, ProgramBuildLog, 0, null, &size) != 0) return "(no build log)";
        var bytes = new byte[(int)size];
        fixed (byte* b = bytes)
            if (clGetProgramBuildInfo(built, device, ProgramBuildLog, size, b, null) != 0) return "(no build log)";
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0');
    }

    private nint Kernel(string name)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (kernels.TryGetValue(name, out nint k)) return k;
        int error;
        var bytes = Encoding.ASCII.GetBytes(name + "\0");
        fixed (byte* n = bytes) k = clCreateKernel(program, n, &error);
        if (error != 0) throw new OpenClException("clCreateKernel", error, $"kernel '{name}'");
        kernels[name] = k;
        return k;
    }

    private static void SetArgument(string kernel, nint k, int index, KernelArg argument)
    {
        int status;
        if (argument.Buffer is { } buffer)
        {
            nint handle = Own(buffer).Handle;
            status = clSetKernelArg(k, (uint)index, (nuint)sizeof(nint), &handle);
        }
        else
        {
            fixed (byte* value = argument.Value) status = clSetKernelArg(k, (uint)index, (nuint)argument.Value!.Length, value);
        }
        if (status != 0) throw new OpenClException("clSetKernelArg", status, $"kernel '{kernel}', argument {index}");
    }

    private static OpenClBuffer Own(IGpuBuffer buffer) =>
        buffer as OpenClBuffer ?? throw new ArgumentException($"an OpenCL device got a foreign buffer ({buffer.GetType().Name})");
}

/// <summary>An OpenCL memory object; released on Dispose (or by the finalizer if forgotten), then reported to its device.</summary>
internal sealed class OpenClBuffer : SafeHandle, IGpuBuffer
{
    private readonly Action released;

    public OpenClBuffer(nint handle, long bytes, Action released) : base(0, ownsHandle: true)
    {
        SetHandle(handle);
        Bytes = bytes;
        this.released = released;
    }

    public long Bytes { get; }

    public nint Handle => IsClosed ? throw new ObjectDisposedException(nameof(OpenClBuffer), "the OpenCL buffer was released") : handle;

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        released();
        return OpenClNative.clReleaseMemObject(handle) == 0;
    }
}
