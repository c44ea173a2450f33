using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BiGS.Native.Kernels.Cpu;
using Xunit;

namespace BiGS.Native.Tests.Kernels;

/// <summary>
/// Which SIMD path the CPU kernels take. CI runs the kernel tests twice on an AVX-512 machine: as the processor
/// allows, and with AVX-512 disabled in the runtime (<c>DOTNET_EnableAVX512=0</c>), setting
/// <c>BIGS_EXPECT_CPU_PATH</c> to the path each run must exercise. That fails the run if the switch stops taking
/// effect (the .NET 8 name, <c>DOTNET_EnableAVX512F</c>, is silently ignored by .NET 10), so the AVX2 path is
/// really the one tested the second time.
/// </summary>
public class CpuKernelPathTests
{
    private const string ExpectedPathVariable = "BIGS_EXPECT_CPU_PATH";

    [Fact]
    public void GemmMicroKernel_FollowsTheInstructionSetsTheRuntimeEnables()
    {
        var expected = Avx512F.IsSupported ? GemmKernelPath.Avx512
            : Avx2.IsSupported && Fma.IsSupported ? GemmKernelPath.Avx2Fma
            : Vector128.IsHardwareAccelerated ? GemmKernelPath.Vector128
            : GemmKernelPath.Scalar;
        Assert.Equal(expected, GemmMicroKernel.BestPath);
        Assert.StartsWith(expected.ToString(), Gemm.MicroKernel);
    }

    [Fact]
    public void KernelPath_IsTheOneThisRunExpects()
    {
        string? expected = Environment.GetEnvironmentVariable(ExpectedPathVariable);
        string actual = Avx512F.IsSupported && Lanes.UseWide ? "avx512"
            : Avx2.IsSupported && Fma.IsSupported ? "avx2"
            : "other";
        if (expected is null)
            return; // an ordinary run takes whatever the processor offers
        Assert.True(expected == actual,
            $"{ExpectedPathVariable}={expected} but the kernels take the {actual} path (GEMM {Gemm.MicroKernel})");
    }
}
