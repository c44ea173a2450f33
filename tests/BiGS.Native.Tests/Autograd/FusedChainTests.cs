using BiGS.Native.Autograd;
using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Tensors;
using BiGS.Native.Tests.Gpu;
using Xunit;

namespace BiGS.Native.Tests.Autograd;

/// <summary>
/// Fused elementwise chains against the unfused composition of the same ops on the same device: the value and the
/// gradient of every input, at sizes no lane or group count divides.
/// </summary>
public abstract class FusedChainTests
{
    private Device Device => TestDevices.For(GetType());

    [GpuTheory]
    [InlineData(GeluKind.Tanh)]
    [InlineData(GeluKind.Erf)]
    public void Gated_linear_gelu_matches_the_product_of_two_linear_gelus(GeluKind kind)
    {
        Tensor[] values = [Random(1, 2, 7, 5), Random(2, 19, 5), Random(3, 19), Random(4, 2, 7, 3), Random(5, 19, 3), Random(6, 19)];
        var weights = Random(7, 2, 7, 19);
        AssertSameValueAndGradients(values, weights,
            v => Ops.GatedLinearGelu(v[0], v[1], v[2], v[3], v[4], v[5], kind),
            v => Ops.Mul(Ops.LinearGelu(v[0], v[1], v[2], kind), Ops.LinearGelu(v[3], v[4], v[5], kind)));
    }

    [GpuFact]
    public void Linear_times_matches_a_linear_then_a_product()
    {
        Tensor[] values = [Random(11, 2, 7, 5), Random(12, 19, 5), Random(13, 19), Random(14, 2, 7, 19)];
        AssertSameValueAndGradients(values, Random(15, 2, 7, 19),
            v => Ops.LinearTimes(v[0], v[1], v[2], v[3]),
            v => Ops.Mul(Ops.Linear(v[0], v[1], v[2]), v[3]));
    }

    /// <summary>
    /// Runs both forms on leaves holding <paramref name="values"/>, backward from sum(y * weights), and compares y and
    /// every leaf's gradient.
    /// </summary>
    private void AssertSameValueAndGradients(Tensor[] values, Tensor weights, Func<Variable[], Variable> fused, Func<Variable[], Variable> unfused)
    {
        var (fusedY, fusedGrads) = Run(values, weights, fused);
        var (unfusedY, unfusedGrads) = Run(values, weights, unfused);
        AssertClose(unfusedY, fusedY, "y");
        for (int i = 0; i < values.Length; i++) AssertClose(unfusedGrads[i], fusedGrads[i], $"gradient of input {i}");
    }

    private (float[] Y, float[][] Grads) Run(Tensor[] values, Tensor weights, Func<Variable[], Variable> form)
    {
        var leaves = values.Select(v => new Variable(v.To(Device), requiresGrad: true)).ToArray();
        var y = form(leaves);
        Ops.SumAll(Ops.Mul(y, new Variable(weights.To(Device)))).Backward();
        return (y.Value.ToArray(), leaves.Select(l => l.Grad!.ToArray()).ToArray());
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= 1e-5f + 1e-4f * Math.Abs(expected[i])))
                Assert.Fail($"{what}: element {i} is {actual[i]} fused, {expected[i]} unfused");
    }

    private static Tensor Random(ulong seed, params int[] shape) => TestData.RandomTensor(seed, shape);
}

/// <summary>On the CPU backend (SIMD kernels).</summary>
public sealed class FusedChainCpuTests : FusedChainTests;

/// <summary>On ILGPU's CPU accelerator.</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class FusedChainIlgpuCpuTests : FusedChainTests;

/// <summary>On CUDA.</summary>
[GpuTarget(DeviceKind.Cuda)]
public sealed class FusedChainCudaTests : FusedChainTests;
