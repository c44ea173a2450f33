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

    [GpuFact]
    public void ConvolutionForwardAndBackward()
    {
        int[][] shapes = [[1, 1, 1], [2, 17, 3], [1, 255, 5]];
        foreach (var s in shapes)
        {
            var u = Random(s);
            var k = Random(s[1]) * 0.2f;
            var d = Tensor.FromArray([0.7f]);
            var dy = Random(s);
            var (gu, gk, gd) = (OnGpu(u), OnGpu(k), OnGpu(d));
            AssertClose(Tensor.SsmConvolution(u, k, d), Tensor.SsmConvolution(gu, gk, gd), 1e-4f, 1e-3f, $"y {u.ShapeString}");
            var cpu = Tensor.SsmConvolutionBackward(u, k, d, dy);
            var gpu = Tensor.SsmConvolutionBackward(gu, gk, gd, OnGpu(dy));
            AssertClose(cpu.DU, gpu.DU, 1e-4f, 1e-3f, "du");
            AssertClose(cpu.DKernel, gpu.DKernel, 1e-4f, 1e-3f, "dK");
            AssertClose(cpu.DD, gpu.DD, 1e-4f, 1e-3f, "dD");
        }
    }
}

/// <summary>SSM parity on OpenCL.</summary>
[GpuTarget(DeviceKind.OpenCL)]
public sealed class SsmOpenClTests : SsmParityTests;

/// <summary>SSM parity on CUDA.</summary>
[GpuTarget(DeviceKind.Cuda)]
public sealed class SsmCudaTests : SsmParityTests;
