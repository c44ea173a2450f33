using BiGS.Native.Gpu;
using BiGS.Native.Tensors;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>The S4D kernel generation and the causal SSM convolution, forward and backward.</summary>
public abstract class SsmParityTests : GpuParityTests
{
    private (Tensor ARe, Tensor AIm, Tensor C, Tensor LogStep) Parameters(int modes)
    {
        // S4D-Lin-like: A = -1/2 + i pi n, with one mode clipped (A_re > -1e-4) to cover the clip.
        var aRe = Tensor.FromArray(Enumerable.Range(0, modes).Select(n => n == 1 ? 0.3f : -0.5f - 0.1f * n).ToArray());
        var aIm = Tensor.FromArray(Enumerable.Range(0, modes).Select(n => MathF.PI * n).ToArray());
        return (aRe, aIm, Random(modes, 2), Tensor.FromArray([MathF.Log(0.05f)]));
    }

    [GpuFact]
    public void KernelGenerationAndBackward()
    {
        foreach (int length in new[] { 1, 17, 255 })
        {
            var (aRe, aIm, c, logStep) = Parameters(8);
            var k = Tensor.SsmKernel(aRe, aIm, c, logStep, length);
            var gk = Tensor.SsmKernel(OnGpu(aRe), OnGpu(aIm), OnGpu(c), OnGpu(logStep), length);
            AssertClose(k, gk, 1e-4f, 1e-3f, $"K L={length}");
            var dk = Random(length);
            var cpu = Tensor.SsmKernelBackward(aRe, aIm, c, logStep, dk);
            var gpu = Tensor.SsmKernelBackward(OnGpu(aRe), OnGpu(aIm), OnGpu(c), OnGpu(logStep), OnGpu(dk));
            AssertClose(cpu.DARe, gpu.DARe, 1e-3f, 1e-3f, "dA_re");
            AssertClose(cpu.DAIm, gpu.DAIm, 1e-3f, 1e-3f, "dA_im");
            AssertClose(cpu.DC, gpu.DC, 1e-3f, 1e-3f, "dC");
            AssertClose(cpu.DLogStep, gpu.DLogStep, 1e-3f, 1e-3f, "dlog_step");
        }
    }

    /// <summary>
    /// Long kernels: at L = 4096 the phase l dt A_im reaches thousands of radians (and a clipped mode does not decay),
    /// where a plain float evaluation of exp(l dt A) loses its fractional bits.
    /// </summary>
    [GpuFact]
    public void KernelGenerationAndBackwardAtLongLength()
    {
        const int length = 4096, modes = 64;
        // S4D-Lin with dt = 0.1: A_im up to 63 pi puts l dt A_im near 8e4 rad; the last mode is clipped (no decay).
        var aRe = Tensor.FromArray(Enumerable.Range(0, modes).Select(n => n == modes - 1 ? 0.2f : -0.5f).ToArray());
        var aIm = Tensor.FromArray(Enumerable.Range(0, modes).Select(n => MathF.PI * n).ToArray());
        var (c, logStep) = (Random(modes, 2), Tensor.FromArray([MathF.Log(0.1f)]));
        var k = Tensor.SsmKernel(aRe, aIm, c, logStep, length);
        var gk = Tensor.SsmKernel(OnGpu(aRe), OnGpu(aIm), OnGpu(c), OnGpu(logStep), length);
        AssertClose(k, gk, 2e-5f, 2e-5f, $"K L={length}");
        var dk = Random(length) * 0.01f;
        var cpu = Tensor.SsmKernelBackward(aRe, aIm, c, logStep, dk);
        var gpu = Tensor.SsmKernelBackward(OnGpu(aRe), OnGpu(aIm), OnGpu(c), OnGpu(logStep), OnGpu(dk));
        // Per tensor, as the fixture README bounds SSM gradients: max |diff| <= 1e-3 max |cpu|.
        AssertCloseToScale(cpu.DARe, gpu.DARe, 1e-3, "dA_re");
        AssertCloseToScale(cpu.DAIm, gpu.DAIm, 1e-3, "dA_im");
        AssertCloseToScale(cpu.DC, gpu.DC, 1e-3, "dC");
        AssertClose(cpu.DLogStep, gpu.DLogStep, 1e-4f, 1e-3f, "dlog_step");
    }

    private static void AssertCloseToScale(Tensor cpu, Tensor gpu, double relative, string what)
    {
        var (expected, actual) = (cpu.ToArray(), gpu.ToArray());
        double scale = expected.Max(v => Math.Abs((double)v));
        double worst = expected.Select((v, i) => Math.Abs((double)v - actual[i])).Max();
        Assert.True(worst <= relative * scale, $"{what}: max |diff| {worst:G3} exceeds {relative} x {scale:G3}");
    }

    [GpuFact]
    public void ConvolutionForwardAndBackward()
    {
        // Direct kernels up to L = 32, FFT beyond: awkward lengths on both sides, odd column counts (packing pairs).
        // Both directions (right to left: BiGS's backward SSM). FFT lengths 1 to 8192 (the GPU always transforms), log2 n
        // a multiple of 4 (radix-16 passes only: n 16, 256) or not (one radix-2, -4 or -8 pass first: n 32, 512, 8192;
        // n 4, 64; n 8, 128, 2048).
        int[][] shapes = [[1, 1, 1], [2, 2, 1], [2, 3, 3], [1, 8, 2], [1, 16, 3], [2, 20, 3], [2, 40, 3], [1, 128, 3], [1, 255, 5],
            [3, 1000, 1], [1, 4096, 2]];
        foreach (var s in shapes)
            foreach (bool rightToLeft in new[] { false, true })
            {
                var u = Random(s);
                var k = Random(s[1]) * 0.2f;
                var d = Tensor.FromArray([0.7f]);
                var dy = Random(s);
                var (gu, gk, gd) = (OnGpu(u), OnGpu(k), OnGpu(d));
                string what = $"{u.ShapeString} rightToLeft {rightToLeft}";
                AssertClose(Tensor.SsmConvolution(u, k, d, rightToLeft), Tensor.SsmConvolution(gu, gk, gd, rightToLeft), 1e-4f, 1e-3f, $"y {what}");
                var cpu = Tensor.SsmConvolutionBackward(u, k, d, dy, rightToLeft);
                var gpu = Tensor.SsmConvolutionBackward(gu, gk, gd, OnGpu(dy), rightToLeft);
                AssertClose(cpu.DU, gpu.DU, 1e-4f, 1e-3f, $"du {what}");
                AssertClose(cpu.DKernel, gpu.DKernel, 1e-4f, 1e-3f, $"dK {what}");
                AssertClose(cpu.DD, gpu.DD, 1e-4f, 1e-3f, $"dD {what}");
            }
    }

    /// <summary>
    /// The shared-memory FFT path against the CPU: FFT lengths 1 to 4096, one group holding one to 32 sequences, several
    /// groups with a partial last one (150 columns), column pairs that straddle two sequences of the batch (H odd).
    /// The backward only where it fits (n &lt;= 2048).
    /// </summary>
    [GpuFact]
    public void SharedMemoryConvolutionForwardAndBackward()
    {
        var backend = (IlgpuBackend)Gpu.Backend;
        int[][] shapes = [[1, 1, 1], [2, 3, 3], [2, 40, 5], [3, 100, 50], [1, 1000, 2], [1, 2048, 1]];
        foreach (var s in shapes)
            foreach (bool rightToLeft in new[] { false, true })
            {
                var u = Random(s);
                var k = Random(s[1]) * 0.2f;
                var d = Tensor.FromArray([0.7f]);
                var (gu, gk, gd) = (OnGpu(u), OnGpu(k), OnGpu(d));
                var y = Tensor.Empty(DType.Float32, Gpu, s);
                string what = $"{u.ShapeString} rightToLeft {rightToLeft}";
                backend.SsmConvolution(gu, gk, gd, y, rightToLeft, FftPath.SharedMemory);
                AssertClose(Tensor.SsmConvolution(u, k, d, rightToLeft), y, 1e-4f, 1e-3f, $"y {what}");
                if (s[1] > 1024) continue;

                var dy = Random(s);
                var cpu = Tensor.SsmConvolutionBackward(u, k, d, dy, rightToLeft);
                var du = Tensor.Empty(DType.Float32, Gpu, s);
                var dK = Tensor.Empty(DType.Float32, Gpu, s[1]);
                var dD = Tensor.Empty(DType.Float32, Gpu, cpu.DD.ShapeArray());
                backend.SsmConvolutionBackward(gu, gk, gd, OnGpu(dy), du, dK, dD, accumulateSkip: false, rightToLeft, FftPath.SharedMemory);
                AssertClose(cpu.DU, du, 1e-4f, 1e-3f, $"du {what}");
                AssertClose(cpu.DKernel, dK, 1e-4f, 1e-3f, $"dK {what}");
                AssertClose(cpu.DD, dD, 1e-4f, 1e-3f, $"dD {what}");
            }
    }

    /// <summary>
    /// The backward reading the K' spectrum its forward kept, on each path and in each direction, against the CPU
    /// (which keeps nothing).
    /// </summary>
    [GpuFact]
    public void BackwardWithTheForwardsKernelSpectrumMatchesTheCpu()
    {
        var backend = (IlgpuBackend)Gpu.Backend;
        int[] shape = [2, 40, 5];
        foreach (var path in new[] { FftPath.GlobalMemory, FftPath.SharedMemory })
            foreach (bool rightToLeft in new[] { false, true })
            {
                var (u, dy, k, d) = (Random(shape), Random(shape), Random(shape[1]) * 0.2f, Tensor.FromArray([0.7f]));
                var (gu, gk, gd) = (OnGpu(u), OnGpu(k), OnGpu(d));
                var y = Tensor.Empty(DType.Float32, Gpu, shape);
                var spectrum = backend.SsmConvolution(gu, gk, gd, y, rightToLeft, path, keepSpectrum: true);
                Assert.NotNull(spectrum);

                var cpu = Tensor.SsmConvolutionBackward(u, k, d, dy, rightToLeft);
                var (du, dK, dD) = (Tensor.Empty(DType.Float32, Gpu, shape), Tensor.Empty(DType.Float32, Gpu, shape[1]), Tensor.Empty(DType.Float32, Gpu, cpu.DD.ShapeArray()));
                backend.SsmConvolutionBackward(gu, gk, gd, OnGpu(dy), du, dK, dD, accumulateSkip: false, rightToLeft, path, spectrum);
                string what = $"{path} rightToLeft {rightToLeft}";
                AssertClose(cpu.DU, du, 1e-4f, 1e-3f, $"du {what}");
                AssertClose(cpu.DKernel, dK, 1e-4f, 1e-3f, $"dK {what}");
                AssertClose(cpu.DD, dD, 1e-4f, 1e-3f, $"dD {what}");
            }
    }

    /// <summary>
    /// With accumulate, the parameter gradients are added onto what the targets hold (a Grad from an earlier pass), on
    /// both FFT paths of the convolution: the GPU against the CPU, from the same starting values.
    /// </summary>
    [GpuFact]
    public void BackwardsAddParameterGradientsOntoTheTargets()
    {
        var (aRe, aIm, c, logStep) = Parameters(8);
        var dk = Random(33);
        Tensor[] cpu = [.. new[] { aRe, aIm, c, logStep }.Select(p => Random(p.ShapeArray()))];
        Tensor[] gpu = [.. cpu.Select(OnGpu)];
        Tensor.SsmKernelBackward(aRe, aIm, c, logStep, dk, cpu[0], cpu[1], cpu[2], cpu[3], accumulate: true);
        Tensor.SsmKernelBackward(OnGpu(aRe), OnGpu(aIm), OnGpu(c), OnGpu(logStep), OnGpu(dk), gpu[0], gpu[1], gpu[2], gpu[3], accumulate: true);
        string[] names = ["dA_re", "dA_im", "dC", "dlog_step"];
        for (int i = 0; i < names.Length; i++) AssertClose(cpu[i], gpu[i], 1e-3f, 1e-3f, names[i]);

        var backend = (IlgpuBackend)Gpu.Backend;
        var (u, dy, k, d) = (Random(2, 40, 3), Random(2, 40, 3), Random(40) * 0.2f, Tensor.FromArray([0.7f]));
        var (gu, gdy, gk, gd) = (OnGpu(u), OnGpu(dy), OnGpu(k), OnGpu(d));
        Tensor HeldSkipGradient() => Tensor.FromArray([-1.25f]);
        var cpuSkip = HeldSkipGradient();
        Tensor.SsmConvolutionBackward(u, k, d, dy, cpuSkip, accumulateSkip: true);
        foreach (var path in new[] { FftPath.GlobalMemory, FftPath.SharedMemory })
        {
            var gpuSkip = OnGpu(HeldSkipGradient());
            var (du, dK) = (Tensor.Empty(DType.Float32, Gpu, 2, 40, 3), Tensor.Empty(DType.Float32, Gpu, 40));
            backend.SsmConvolutionBackward(gu, gk, gd, gdy, du, dK, gpuSkip, accumulateSkip: true, rightToLeft: false, path);
            AssertClose(cpuSkip, gpuSkip, 1e-4f, 1e-3f, $"dD {path}");
        }
    }
}

/// <summary>SSM parity on ILGPU's CPU accelerator (every kernel, in CI).</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class SsmIlgpuCpuTests : SsmParityTests;

/// <summary>SSM parity on OpenCL.</summary>
[GpuTarget(DeviceKind.OpenCL)]
public sealed class SsmOpenClTests : SsmParityTests;

/// <summary>SSM parity on CUDA.</summary>
[GpuTarget(DeviceKind.Cuda)]
public sealed class SsmCudaTests : SsmParityTests;
