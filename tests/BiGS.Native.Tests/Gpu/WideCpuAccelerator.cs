using BiGS.Native.Gpu;
using BiGS.Native.Tensors;
using ILGPU;
using ILGPU.Runtime.CPU;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// An ILGPU CPU accelerator with groups of up to 256 threads (64 warps of 4), as device ilgpu-cpu:1, with the given
/// kernel options: a test fixture for kernels whose groups the shared ilgpu-cpu device (64 threads) does not allow.
/// </summary>
public class WideCpuAccelerator : IDisposable
{
    private readonly IlgpuBackend backend;

    public WideCpuAccelerator()
        : this(new IlgpuKernelOptions())
    {
    }

    protected WideCpuAccelerator(IlgpuKernelOptions options)
    {
        var context = Context.Create(builder => builder.EnableAlgorithms().Math(MathMode.Default).Optimize(OptimizationLevel.O1)
            .CPU(new CPUDevice(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: 64, numMultiprocessors: 1)));
        backend = new IlgpuBackend(DeviceKind.IlgpuCpu, 1, context, context.CreateCPUAccelerator(0), options);
    }

    /// <summary>The tensor device of the accelerator.</summary>
    public Device Device => backend.Device;

    /// <summary>The backend of <see cref="Device"/>, for settings no other test shares (e.g. <see cref="IlgpuBackend.MeasuresFftPaths"/>).</summary>
    public IlgpuBackend Backend => backend;

    /// <summary>Disposes the backend, with its accelerator and context.</summary>
    public void Dispose()
    {
        backend.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The wide accelerator with tf32 and bf16 on the emulated tensor-core kernel (<see cref="IlgpuKernelOptions.EmulatedMma"/>).</summary>
public sealed class WideCpuAcceleratorEmulatingMma() : WideCpuAccelerator(new IlgpuKernelOptions { EmulatedMma = true });

/// <summary>
/// The wide accelerator with the mma emulated and the packed plans on the pipelined kernels, tensor-core and SIMT
/// (<see cref="IlgpuKernelOptions.PipelinedGemm"/>).
/// </summary>
public sealed class WideCpuAcceleratorEmulatingPipeline() : WideCpuAccelerator(new IlgpuKernelOptions { EmulatedMma = true, PipelinedGemm = true });
