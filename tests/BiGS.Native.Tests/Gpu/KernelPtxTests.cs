using BiGS.Native.Gpu;
using BiGS.Native.Gpu.Kernels;
using System.Text.RegularExpressions;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// Kernels that no GPU has run yet, compiled to PTX for sm_80 without a device: they compile, and their values stay in
/// registers (no local memory), the FFT butterflies' <c>Complex32</c> values and <c>Dft4</c>'s out parameters included,
/// with no function calls: the S4D kernels' double exponentials, cosines and sines are inline arithmetic
/// (<c>S4DMath.Exp</c>), where ILGPU's own are CORDIC loops of calls through local memory.
/// Their numerics are checked on ILGPU's CPU accelerator against the CPU (<see cref="SsmParityTests"/>,
/// <see cref="NNParityTests"/>, <see cref="ElementwiseParityTests"/>).
/// </summary>
public class KernelPtxTests
{
    [Theory]
    [InlineData(typeof(FftKernels), nameof(FftKernels.Radix2Stage), false)]
    [InlineData(typeof(FftKernels), nameof(FftKernels.Radix4Stage), false)]
    [InlineData(typeof(FftKernels), nameof(FftKernels.Radix8Stage), false)]
    [InlineData(typeof(FftKernels), nameof(FftKernels.Radix16Stage), false)]
    [InlineData(typeof(FftKernels), nameof(FftKernels.Radix1Stage), false)]
    [InlineData(typeof(ElementwiseKernels), nameof(ElementwiseKernels.Iota), false)]
    [InlineData(typeof(RowKernels), nameof(RowKernels.LayerNormBackward), true)]
    [InlineData(typeof(SsmKernels), nameof(SsmKernels.Generate), true)]
    [InlineData(typeof(SsmKernels), nameof(SsmKernels.Backward), true)]
    [InlineData(typeof(SsmKernels), nameof(SsmKernels.StepGradient), true)]
    public void Kernel_compiles_to_ptx_without_local_memory_or_calls(Type kernels, string kernel, bool explicitlyGrouped)
    {
        string ptx = KernelPtx.Compile(kernels.GetMethod(kernel)!, 80, explicitlyGrouped);
        Assert.Contains(".entry", ptx, StringComparison.Ordinal);
        Assert.DoesNotContain(".local", ptx, StringComparison.Ordinal);
        Assert.DoesNotContain("call", ptx, StringComparison.Ordinal);
    }

    /// <summary>
    /// The FFT kernels index by shifts and masks (n, the radix, the stride, a butterfly's half-span and a group's lane
    /// slots are powers of two). The only integer divisions left split a column c = b H + h into b and h, once per
    /// column a thread reads or writes, none per element: a global-memory stage reads two columns and writes two (8 div
    /// or rem instructions); a shared-memory group's thread finds one column per pass over the tensor (2 each).
    /// </summary>
    [Theory]
    [InlineData(typeof(FftKernels), nameof(FftKernels.Radix1Stage), false, 8)]
    [InlineData(typeof(FftKernels), nameof(FftKernels.Radix2Stage), false, 8)]
    [InlineData(typeof(FftKernels), nameof(FftKernels.Radix4Stage), false, 8)]
    [InlineData(typeof(FftKernels), nameof(FftKernels.Radix8Stage), false, 8)]
    [InlineData(typeof(FftKernels), nameof(FftKernels.Radix16Stage), false, 8)]
    [InlineData(typeof(SharedFftKernels), nameof(SharedFftKernels.Convolve), true, 4)]
    [InlineData(typeof(SharedFftKernels), nameof(SharedFftKernels.ConvolutionBackward), true, 6)]
    [InlineData(typeof(SharedFftKernels), nameof(SharedFftKernels.KernelSpectrum), true, 0)]
    [InlineData(typeof(SharedFftKernels), nameof(SharedFftKernels.KernelGradient), true, 0)]
    public void Fft_kernel_divides_integers_only_to_find_its_columns(Type kernels, string kernel, bool explicitlyGrouped, int divisions)
    {
        string ptx = KernelPtx.Compile(kernels.GetMethod(kernel)!, 80, explicitlyGrouped);
        Assert.InRange(System.Text.RegularExpressions.Regex.Matches(ptx, @"\b(div|rem)\.[su](32|64)\b").Count, 0, divisions);
        Assert.DoesNotContain("div.rn.f32", ptx, StringComparison.Ordinal);
    }

    /// <summary>
    /// The S4D kernels turn (cos r, sin r) to the angle's quadrant with selections (<see cref="BiGS.Native.Kernels.Ssm.S4DMath.TurnCosSin"/>):
    /// no jump table, whose indirect branch would diverge across a warp's threads (their quadrants differ).
    /// </summary>
    [Theory]
    [InlineData(nameof(SsmKernels.Generate))]
    [InlineData(nameof(SsmKernels.Backward))]
    public void S4d_kernels_have_no_indirect_branch(string kernel) =>
        Assert.DoesNotContain("brx.idx", KernelPtx.Compile(typeof(SsmKernels).GetMethod(kernel)!, 80, explicitlyGrouped: true), StringComparison.Ordinal);

    /// <summary>
    /// The global-memory FFT stages read their twiddles from the table the host computed in double, as the shared-memory
    /// kernels do: no approximate sine or cosine of the GPU (good to about 1e-6, where the CPU accelerator that runs the
    /// parity tests computes exact ones), so what the tests check is what a GPU computes.
    /// </summary>
    [Theory]
    [InlineData(nameof(FftKernels.Radix2Stage))]
    [InlineData(nameof(FftKernels.Radix4Stage))]
    [InlineData(nameof(FftKernels.Radix8Stage))]
    [InlineData(nameof(FftKernels.Radix16Stage))]
    public void Fft_stage_takes_its_twiddles_from_the_table(string kernel)
    {
        string ptx = KernelPtx.Compile(typeof(FftKernels).GetMethod(kernel)!, 80, explicitlyGrouped: false);
        Assert.DoesNotContain("sin.approx", ptx, StringComparison.Ordinal);
        Assert.DoesNotContain("cos.approx", ptx, StringComparison.Ordinal);
        Assert.DoesNotContain(".local", ptx, StringComparison.Ordinal);
    }

    /// <summary>
    /// Every kernel that computes a tanh GELU or tanh does it with the exponential (<see cref="Gelu"/>), never with the
    /// GPU's tanh instruction (relative error up to 2^-11), so a GPU's activations are as accurate as the CPU's.
    /// </summary>
    [Theory]
    [InlineData(typeof(ElementwiseKernels), nameof(ElementwiseKernels.Unary), false, typeof(GeluTanhFunction))]
    [InlineData(typeof(ElementwiseKernels), nameof(ElementwiseKernels.UnaryBackward), false, typeof(GeluTanhFunction))]
    [InlineData(typeof(ElementwiseKernels), nameof(ElementwiseKernels.Unary), false, typeof(TanhFunction))]
    [InlineData(typeof(ElementwiseKernels), nameof(ElementwiseKernels.BiasGelu), false, typeof(GeluTanhFunction))]
    [InlineData(typeof(ColumnTileKernels), nameof(ColumnTileKernels.BiasGeluBackward), true, typeof(GeluTanhFunction))]
    [InlineData(typeof(ColumnTileKernels), nameof(ColumnTileKernels.GatedGeluBackward), true, typeof(GeluTanhFunction))]
    [InlineData(typeof(GemmKernel), nameof(GemmKernel.Sgemm), true, typeof(GemmTile64x64), typeof(Fp32Operands), typeof(EdgeTiles))]
    [InlineData(typeof(GemmTensorCoreKernel), nameof(GemmTensorCoreKernel.Tf32), true, typeof(TensorCoreTile64x64), typeof(WholeTiles))]
    public void Tanh_activations_use_the_exponential_not_the_approximate_tanh(Type kernels, string kernel, bool explicitlyGrouped, params Type[] arguments)
    {
        var method = kernels.GetMethod(kernel)!;
        if (arguments.Length > 0) method = method.MakeGenericMethod(arguments);
        string ptx = KernelPtx.Compile(method, 80, explicitlyGrouped);
        Assert.Contains("ex2.approx", ptx, StringComparison.Ordinal);
        Assert.DoesNotContain("tanh.approx", ptx, StringComparison.Ordinal);
    }

    /// <summary>
    /// The GEMM kernels carry launch bounds that hold a thread to 128 registers: groups of their own thread count, and
    /// as many groups a multiprocessor as its 65,536 registers hold at 128 a thread (2 of 256 threads, 4 of 128, 8 of
    /// 64). Other kernels carry none.
    /// </summary>
    [Theory]
    [InlineData(typeof(GemmKernel), nameof(GemmKernel.Sgemm), "256, 1, 1", 2, typeof(GemmTile128x128), typeof(Fp32Operands), typeof(WholeTiles))]
    [InlineData(typeof(GemmKernel), nameof(GemmKernel.Sgemm), "128, 1, 1", 4, typeof(GemmTile128x64), typeof(Bf16Operands), typeof(EdgeTiles))]
    [InlineData(typeof(GemmKernel), nameof(GemmKernel.Sgemm), "64, 1, 1", 8, typeof(GemmTile64x64), typeof(Fp32Operands), typeof(EdgeTiles))]
    [InlineData(typeof(GemmTensorCoreKernel), nameof(GemmTensorCoreKernel.Tf32), "128, 1, 1", 4, typeof(TensorCoreTile64x64), typeof(WholeTiles))]
    [InlineData(typeof(GemmTensorCoreKernel), nameof(GemmTensorCoreKernel.Bf16), "256, 1, 1", 2, typeof(TensorCoreTile128x128), typeof(EdgeTiles))]
    [InlineData(typeof(ColumnTileKernels), nameof(ColumnTileKernels.GatedGeluBackward), null, 0, typeof(GeluTanhFunction))]
    public void Gemm_kernels_are_bounded_to_128_registers_a_thread(Type kernels, string kernel, string? maxThreads, int minGroups, params Type[] arguments)
    {
        string ptx = KernelPtx.Compile(kernels.GetMethod(kernel)!.MakeGenericMethod(arguments), 80, explicitlyGrouped: true);
        if (maxThreads is null)
        {
            Assert.DoesNotContain(".maxntid", ptx, StringComparison.Ordinal);
            Assert.DoesNotContain(".minnctapersm", ptx, StringComparison.Ordinal);
            return;
        }
        Assert.Matches($@"\.maxntid {maxThreads}\s", ptx);
        Assert.Matches($@"\.minnctapersm {minGroups}\s", ptx);
    }

    /// <summary>
    /// The pipelined tensor-core kernel's bounds: a warp per 64 x 64 block of its tile, and as many groups a
    /// multiprocessor as leave each thread 256 registers (its 128 accumulators and 32 fragment registers).
    /// </summary>
    [Theory]
    [InlineData(typeof(GemmTile64x64), "32, 1, 1", 8)]
    [InlineData(typeof(GemmTile64x128), "64, 1, 1", 4)]
    [InlineData(typeof(GemmTile128x128), "128, 1, 1", 2)]
    public void The_pipelined_tensor_core_kernel_is_bounded_to_256_registers_a_thread(Type tile, string maxThreads, int minGroups)
    {
        string ptx = KernelPtx.Compile(typeof(GemmTensorCorePipelineKernel).GetMethod(nameof(GemmTensorCorePipelineKernel.Bf16))!.MakeGenericMethod(tile),
            80, explicitlyGrouped: true);
        Assert.Matches($@"\.maxntid {maxThreads}\s", ptx);
        Assert.Matches($@"\.minnctapersm {minGroups}\s", ptx);
    }

    /// <summary>
    /// The column-tile kernels (generic ones for the tanh GELU) compile, keep their values in registers, and complete
    /// their sums with what the last-group protocol needs: a device-wide fence before counting in, an atomic counter, and
    /// reads of the other groups' partials that bypass this multiprocessor's L1.
    /// </summary>
    [Theory]
    [InlineData(nameof(ColumnTileKernels.ColumnSums))]
    [InlineData(nameof(ColumnTileKernels.BiasGeluBackward))]
    [InlineData(nameof(ColumnTileKernels.BiasProductBackward))]
    [InlineData(nameof(ColumnTileKernels.GatedGeluBackward))]
    [InlineData(nameof(ColumnTileKernels.LayerNormParameterGradients))]
    [InlineData(nameof(ColumnTileKernels.CrossSpectrum))]
    public void Column_tile_kernel_compiles_with_fence_and_atomic_counter(string kernel)
    {
        var method = typeof(ColumnTileKernels).GetMethod(kernel)!;
        if (method.IsGenericMethodDefinition) method = method.MakeGenericMethod(typeof(GeluTanhFunction));
        string ptx = KernelPtx.Compile(method, 80);
        Assert.DoesNotContain(".local", ptx, StringComparison.Ordinal);
        Assert.Contains("membar.gl", ptx, StringComparison.Ordinal);
        // the arrival counter, and the last group's coherent reads of the partials (integer adds of 0 to their bits)
        Assert.True(Regex.Matches(ptx, @"atom\.add\.u32").Count >= 2, $"{kernel}: fewer than 2 atom.add.u32");
        Assert.DoesNotContain("atom.add.f32", ptx, StringComparison.Ordinal);
    }
}
