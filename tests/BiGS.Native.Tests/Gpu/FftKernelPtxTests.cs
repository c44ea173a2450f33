using BiGS.Native.Gpu.Kernels;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// The global-memory FFT stages compiled to PTX for sm_80 without a device: they compile, and their butterflies'
/// complex values (<c>Complex32</c>, the 4-point DFTs' out parameters) stay in registers, with no local memory. Their
/// numerics are checked on every backend by <see cref="SsmParityTests"/>.
/// </summary>
public class FftKernelPtxTests
{
    [Theory]
    [InlineData(nameof(FftKernels.Radix2Stage))]
    [InlineData(nameof(FftKernels.Radix4Stage))]
    [InlineData(nameof(FftKernels.Radix8Stage))]
    public void Stage_compiles_to_ptx_without_local_memory(string stage)
    {
        string ptx = PtxCompilation.Compile(typeof(FftKernels).GetMethod(stage)!, 80, explicitlyGrouped: false);
        Assert.Contains(".entry", ptx, StringComparison.Ordinal);
        Assert.DoesNotContain(".local", ptx, StringComparison.Ordinal);
    }
}
