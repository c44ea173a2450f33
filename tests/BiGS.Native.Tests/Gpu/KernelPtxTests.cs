using BiGS.Native.Gpu.Kernels;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// Kernels that no GPU has run yet, compiled to PTX for sm_80 without a device: they compile, and their values stay in
/// registers (no local memory), the FFT butterflies' <c>Complex32</c> values and <c>Dft4</c>'s out parameters included.
/// Their numerics are checked on ILGPU's CPU accelerator against the CPU (<see cref="SsmParityTests"/>,
/// <see cref="NNParityTests"/>, <see cref="ElementwiseParityTests"/>).
/// </summary>
public class KernelPtxTests
{
    [Theory]
    [InlineData(typeof(FftKernels), nameof(FftKernels.Radix2Stage), false)]
    [InlineData(typeof(FftKernels), nameof(FftKernels.Radix4Stage), false)]
    [InlineData(typeof(FftKernels), nameof(FftKernels.Radix8Stage), false)]
    [InlineData(typeof(FftKernels), nameof(FftKernels.Radix1Stage), false)]
    [InlineData(typeof(ElementwiseKernels), nameof(ElementwiseKernels.Iota), false)]
    [InlineData(typeof(ElementwiseKernels), nameof(ElementwiseKernels.BiasProductBackward), false)]
    [InlineData(typeof(RowKernels), nameof(RowKernels.LayerNormBackward), true)]
    public void Kernel_compiles_to_ptx_without_local_memory(Type kernels, string kernel, bool explicitlyGrouped)
    {
        string ptx = PtxCompilation.Compile(kernels.GetMethod(kernel)!, 80, explicitlyGrouped);
        Assert.Contains(".entry", ptx, StringComparison.Ordinal);
        Assert.DoesNotContain(".local", ptx, StringComparison.Ordinal);
    }
}
