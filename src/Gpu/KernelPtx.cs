using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace BiGS.Native.Gpu;

/// <summary>
/// A kernel compiled to PTX with ILGPU's PTX backend and the options the CUDA devices use, with no device and no CUDA
/// toolkit: what the tests and <c>bench ... kernel-ptx</c> inspect (local memory, calls, instruction choices).
/// </summary>
public static class KernelPtx
{
    /// <summary>
    /// The PTX of <paramref name="kernel"/> for Ampere (80) or Hopper (90). Explicitly grouped (a <c>KernelConfig</c>
    /// launch) or auto-grouped (an <c>Index1D</c> first parameter) as <paramref name="explicitlyGrouped"/> says, or as the
    /// first parameter shows when it is null. GEMM kernels carry their launch bounds, as the devices load them
    /// (<see cref="Kernels.GemmLaunchBounds"/>).
    /// </summary>
    public static string Compile(MethodInfo kernel, int architecture = 80, bool? explicitlyGrouped = null)
    {
        using var context = Context.Create(builder => IlgpuDevices.CompileKernels(builder));
        var target = architecture == 90 ? CudaArchitecture.SM_90 : CudaArchitecture.SM_80;
        using var backend = new PTXBackend(context, target, CudaInstructionSet.ISA_80, nvvmAPI: null!);
        bool grouped = explicitlyGrouped ?? kernel.GetParameters() is not [{ ParameterType: var first }, ..] || first != typeof(Index1D);
        var entry = grouped
            ? EntryPointDescription.FromExplicitlyGroupedKernel(kernel)
            : EntryPointDescription.FromImplicitlyGroupedKernel(kernel);
        return ((PTXCompiledKernel)backend.Compile(entry, Kernels.GemmLaunchBounds.Of(kernel))).PTXAssembly;
    }
}
