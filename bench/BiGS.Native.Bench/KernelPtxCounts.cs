using System.Reflection;
using System.Text.RegularExpressions;
using BiGS.Native.Gpu;
using BiGS.Native.Gpu.Kernels;

namespace BiGS.Native.Bench;

/// <summary>
/// The hot GPU kernels compiled to PTX for sm_80 (<see cref="KernelPtx"/>; no GPU needed) and counted: PTX lines, lines
/// touching local memory, function calls, integer divisions and remainders, IEEE float divisions, the GPU's
/// approximate sine, cosine and tanh, 32-bit and 128-bit shared-memory loads, vector shared-memory stores (128-bit fp32, 64-bit
/// packed BF16), and tensor-core mma instructions. Run at two commits to compare builds
/// (bench/compare/README.md, entry 16). Usage: <c>kernel-ptx</c>.
/// </summary>
public sealed class KernelPtxCounts : ISideBySide
{
    private static readonly (string Label, string Pattern)[] Counts =
    [
        ("local", @"\.local"), ("calls", @"call\.uni"), ("int div/rem", @"\b(div|rem)\.[su](32|64)\b"), ("div.rn.f32", @"div\.rn\.f32"),
        ("approx sin/cos/tanh", @"(sin|cos|tanh)\.approx"), ("ld.shared", @"ld\.shared\.(f32|b32|u32)"), ("ld.shared.v4", @"ld\.shared\.v4\.f32"),
        ("st.shared vector", @"st\.shared\.(v4\.f32|b64|u64)"), ("mma.sync", @"mma\.sync"),
    ];

    /// <inheritdoc />
    public string Name => "kernel-ptx";

    /// <inheritdoc />
    public string Description => "the hot GPU kernels' PTX (sm_80, no GPU needed): local memory, calls, divisions, approximations, shared loads and vector stores, mma";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        Console.WriteLine($"{"kernel",-64} {"lines",6} {string.Join(" ", Counts.Select(c => $"{c.Label,12}"))}");
        foreach (var kernel in Kernels())
        {
            string ptx = KernelPtx.Compile(kernel);
            Console.WriteLine($"{KernelName(kernel),-64} {ptx.Split('\n').Length,6} {string.Join(" ", Counts.Select(c => $"{Regex.Matches(ptx, c.Pattern).Count,12}"))}");
        }
        return 0;
    }

    /// <summary>The kernel's type and method, with its type arguments where generic.</summary>
    internal static string KernelName(MethodInfo kernel) => kernel.IsGenericMethod
        ? $"{kernel.DeclaringType!.Name}.{kernel.Name}<{string.Join(",", kernel.GetGenericArguments().Select(t => t.Name))}>"
        : $"{kernel.DeclaringType!.Name}.{kernel.Name}";

    /// <summary>The kernels counted, in order (<see cref="KernelSassCounts"/> uses them too).</summary>
    internal static IEnumerable<MethodInfo> Kernels()
    {
        foreach (var name in new[] { nameof(SsmKernels.Generate), nameof(SsmKernels.Backward), nameof(SsmKernels.StepGradient) })
            yield return typeof(SsmKernels).GetMethod(name)!;
        foreach (var name in new[] { nameof(FftKernels.Radix2Stage), nameof(FftKernels.Radix4Stage), nameof(FftKernels.Radix8Stage), nameof(FftKernels.Radix16Stage) })
            yield return typeof(FftKernels).GetMethod(name)!;
        foreach (var name in new[] { nameof(SharedFftKernels.Convolve), nameof(SharedFftKernels.ConvolutionBackward) })
            yield return typeof(SharedFftKernels).GetMethod(name)!;
        foreach (var edges in new[] { typeof(EdgeTiles), typeof(WholeTiles) })
            yield return typeof(GemmKernel).GetMethod(nameof(GemmKernel.Sgemm))!.MakeGenericMethod(typeof(GemmTile128x128), typeof(Fp32Operands), edges);
        foreach (var tile in new[] { typeof(TensorCoreTile64x64), typeof(TensorCoreTile128x128) })
            foreach (var name in new[] { nameof(GemmTensorCoreKernel.Tf32), nameof(GemmTensorCoreKernel.Bf16), nameof(GemmTensorCoreKernel.Tf32Rounded), nameof(GemmTensorCoreKernel.Bf16Pairs) })
                foreach (var edges in new[] { typeof(EdgeTiles), typeof(WholeTiles) })
                    yield return typeof(GemmTensorCoreKernel).GetMethod(name)!.MakeGenericMethod(tile, edges);
        Type[] simtTiles = [typeof(GemmTile64x64), typeof(GemmTile128x64), typeof(GemmTile64x128), typeof(GemmTile128x128)];
        foreach (var tile in simtTiles)
            foreach (var name in new[] { nameof(GemmTensorCorePipelineKernel.Tf32), nameof(GemmTensorCorePipelineKernel.Bf16) })
                yield return typeof(GemmTensorCorePipelineKernel).GetMethod(name)!.MakeGenericMethod(tile);
        foreach (var tile in simtTiles)
            yield return typeof(GemmSimtPipelineKernel).GetMethod(nameof(GemmSimtPipelineKernel.Fp32))!.MakeGenericMethod(tile);
        yield return typeof(ElementwiseKernels).GetMethod(nameof(ElementwiseKernels.BiasGelu))!.MakeGenericMethod(typeof(GeluTanhFunction));
        yield return typeof(ColumnTileKernels).GetMethod(nameof(ColumnTileKernels.GatedGeluBackward))!.MakeGenericMethod(typeof(GeluTanhFunction));
    }
}
