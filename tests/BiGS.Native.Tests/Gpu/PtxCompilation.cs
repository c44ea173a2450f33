using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>Compiles a kernel to PTX with ILGPU's PTX backend, as the CUDA accelerator would, with no device.</summary>
internal static class PtxCompilation
{
    /// <summary>
    /// The PTX of <paramref name="kernel"/> for Ampere (80) or Hopper (90): explicitly grouped (a <c>KernelConfig</c>
    /// launch) or, with <paramref name="explicitlyGrouped"/> false, auto-grouped (an <c>Index1D</c> first parameter).
    /// </summary>
    public static string Compile(System.Reflection.MethodInfo kernel, int architecture, bool explicitlyGrouped = true)
    {
        using var context = Context.Create(builder => builder.EnableAlgorithms().Math(MathMode.Default).Optimize(OptimizationLevel.O1));
        var target = architecture == 90 ? CudaArchitecture.SM_90 : CudaArchitecture.SM_80;
        using var backend = new PTXBackend(context, target, CudaInstructionSet.ISA_80, nvvmAPI: null!);
        var entry = explicitlyGrouped
            ? EntryPointDescription.FromExplicitlyGroupedKernel(kernel)
            : EntryPointDescription.FromImplicitlyGroupedKernel(kernel);
        var compiled = backend.Compile(entry, KernelSpecialization.Empty);
        return Assert.IsType<PTXCompiledKernel>(compiled).PTXAssembly;
    }
}
