using BiGS.Native.Tensors;
using ILGPU;
using ILGPU.Runtime;
using Device = BiGS.Native.Tensors.Device;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace BiGS.Native.Gpu;

/// <summary>
/// The GPU devices on ILGPU, found by <see cref="Devices"/> when this assembly is present: CUDA (NVIDIA driver only),
/// OpenCL 2.0+ devices with the generic address space, and ILGPU's CPU accelerator. Each device is opened once per
/// process (its kernels compiled on first use) and shared.
/// </summary>
public sealed class IlgpuDevices : IGpuDeviceProvider
{
    /// <summary>
    /// ILGPU's CPU accelerator simulates a GPU's groups with host threads, and every launch makes all the threads it has
    /// started meet at a barrier. The GEMM's groups have 64 threads, so the simulated device allows 64 per group (16 warps
    /// of 4 lanes) rather than the default 16, and no more: larger groups would make every launch slower.
    /// </summary>
    private static readonly CPUDevice CpuAcceleratorDevice = new(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: 16, numMultiprocessors: 1);

    /// <summary>
    /// The simulated device with <see cref="IlgpuKernelOptions.EmulatedMma"/>: groups of up to 256 threads, the tensor-core
    /// kernel's 128 x 128 tile (and the SIMT kernel's), so that <c>BIGS_GEMM_TILE</c> can pin either tile. A training
    /// step at the 64 x 64 tile runs no slower than with groups of up to 128.
    /// </summary>
    private static readonly CPUDevice CpuAcceleratorDeviceForMma = new(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: 64, numMultiprocessors: 1);

    private static readonly Dictionary<(DeviceKind, int), IlgpuBackend> Opened = [];
    private static readonly object Gate = new();

    /// <inheritdoc />
    public Device Open(DeviceKind kind, int index)
    {
        lock (Gate)
        {
            if (!Opened.TryGetValue((kind, index), out var backend))
            {
                backend = Create(kind, index);
                Opened[(kind, index)] = backend;
            }
            return backend.Device;
        }
    }

    /// <inheritdoc />
    public string? Unavailability(DeviceKind kind)
    {
        if (kind is DeviceKind.IlgpuCpu or DeviceKind.IlgpuDry) return null;
        try
        {
            using var context = CreateContext(kind, new IlgpuKernelOptions());
            int count = kind == DeviceKind.Cuda ? context.GetCudaDevices().Count : context.GetCLDevices().Count;
            return count > 0 ? null : kind == DeviceKind.Cuda
                ? "no CUDA device (needs an NVIDIA GPU and its driver)"
                : "no OpenCL 2.0+ device with the generic address space (ILGPU's requirement)";
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or InvalidOperationException or NotSupportedException)
        {
            return $"{kind} is not usable here: {e.Message}";
        }
    }

    private static IlgpuBackend Create(DeviceKind kind, int index)
    {
        var options = IlgpuKernelOptions.FromEnvironment();
        var context = CreateContext(kind, options);
        try
        {
            Accelerator accelerator = kind switch
            {
                DeviceKind.Cuda => context.CreateCudaAccelerator(CheckIndex(index, context.GetCudaDevices().Count, "CUDA")),
                DeviceKind.OpenCL => context.CreateCLAccelerator(CheckIndex(index, context.GetCLDevices().Count, "OpenCL 2.0+")),
                _ => context.CreateCPUAccelerator(0),
            };
            return new IlgpuBackend(kind, index, context, accelerator, options);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>The compiler settings of every kernel: ILGPU.Algorithms' math, default (full) precision, optimisation O1.</summary>
    internal static Context.Builder CompileKernels(Context.Builder builder) =>
        builder.EnableAlgorithms().Math(MathMode.Default).Optimize(OptimizationLevel.O1);

    /// <summary>
    /// The context of a device: the kernels' compiler settings, the accelerator kind, and profiling markers allowed
    /// (<see cref="IDeviceActivityCounters.TimesKernels"/> places them; on CUDA allowing them changes nothing else, on
    /// OpenCL the queue records each command's times).
    /// </summary>
    private static Context CreateContext(DeviceKind kind, IlgpuKernelOptions options) => Context.Create(builder =>
    {
        CompileKernels(builder).Profiling();
        _ = kind switch
        {
            DeviceKind.Cuda => builder.Cuda(),
            DeviceKind.OpenCL => builder.OpenCL(),
            DeviceKind.IlgpuCpu or DeviceKind.IlgpuDry => builder.CPU(options.EmulatedMma ? CpuAcceleratorDeviceForMma : CpuAcceleratorDevice),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not an ILGPU device kind"),
        };
    });

    private static int CheckIndex(int index, int count, string what) => index < count
        ? index
        : throw new InvalidOperationException(count == 0
            ? $"no {what} device is available here"
            : $"{what} device {index} does not exist: there are {count} (numbered from 0)");
}
