using System.Text.RegularExpressions;
using BiGS.Native.Gpu.Kernels;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// The tensor-core GEMM kernels compiled to PTX by ILGPU's PTX backend for Ampere (sm_80) and Hopper (sm_90) without a
/// device: they compile, their <c>mma.sync</c> instructions are there (8 per k-slice: 2 x 4 tiles per warp) and name
/// the accumulator registers directly, with no local-memory traffic around them. Their numerics run only on a CUDA device
/// (<see cref="GemmEpilogueCudaTests"/>).
/// </summary>
public class GemmTensorCorePtxTests
{
    [Theory]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32), 80, "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32")]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16), 80, "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32")]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32), 90, "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32")]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16), 90, "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32")]
    public void Kernel_compiles_to_ptx_with_its_mma_instructions(string kernel, int architecture, string mma)
    {
        string ptx = CompileToPtx(typeof(GemmTensorCoreKernel).GetMethod(kernel)!, architecture);
        // ILGPU 1.5.3 targets sm_80 when asked for sm_90 (PTX for sm_80 runs on sm_90).
        int target = int.Parse(Regex.Match(ptx, @"\.target sm_(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(target, 80, architecture);
        var lines = ptx.Split('\n');
        var mmaLines = Enumerable.Range(0, lines.Length).Where(i => lines[i].Contains(mma, StringComparison.Ordinal)).ToArray();
        Assert.True(mmaLines.Length > 0 && mmaLines.Length % 8 == 0, $"{kernel}: {mmaLines.Length} '{mma}' in the PTX, expected a multiple of 8");
        foreach (int i in mmaLines)
        {
            Assert.Contains("{gemm_acc", lines[i], StringComparison.Ordinal);
            Assert.DoesNotContain(".local", lines[i - 1] + lines[i + 1], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Simt_kernel_has_no_tensor_core_instruction()
    {
        string ptx = CompileToPtx(typeof(GemmKernel).GetMethod(nameof(GemmKernel.Sgemm))!, 80);
        Assert.DoesNotContain("mma.sync", ptx, StringComparison.Ordinal);
        Assert.DoesNotContain(".local", ptx, StringComparison.Ordinal);
    }

    /// <summary>The PTX of an explicitly grouped kernel for sm_<paramref name="architecture"/> (PTX ISA 8.0).</summary>
    private static string CompileToPtx(System.Reflection.MethodInfo kernel, int architecture)
    {
        using var context = Context.Create(builder => builder.EnableAlgorithms().Math(MathMode.Default).Optimize(OptimizationLevel.O1));
        var target = architecture == 90 ? CudaArchitecture.SM_90 : CudaArchitecture.SM_80;
        using var backend = new PTXBackend(context, target, CudaInstructionSet.ISA_80, nvvmAPI: null!);
        var compiled = backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(kernel), KernelSpecialization.Empty);
        return Assert.IsType<PTXCompiledKernel>(compiled).PTXAssembly;
    }
}
