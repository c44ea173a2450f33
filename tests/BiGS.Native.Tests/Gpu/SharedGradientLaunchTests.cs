using BiGS.Native.Autograd;
using BiGS.Native.Tensors;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// On a device, the shares of a computed variable's gradient are summed by the backward kernels themselves: no separate
/// add where a GEMM (beta 1) or LayerNorm's backward can add its share onto the one already there, and one launch for
/// a flipped share, which is added where it lies (or copied, when it comes first). The gradients' values are checked by
/// <c>SharedGradientTests</c>.
/// </summary>
public abstract class SharedGradientLaunchTests : GpuParityTests
{
    private const int Width = 8;

    private IDeviceActivityCounters Counters => (IDeviceActivityCounters)Gpu.Backend;

    [GpuFact]
    public void A_pre_norm_block_sums_the_residual_and_layer_norm_shares_with_no_add()
    {
        var (gamma, beta) = (Parameter("gamma", Width), Parameter("beta", Width));
        var (weight, bias) = (Parameter("weight", Width, Width), Parameter("bias", Width));
        var activity = BackwardActivity(h => Ops.LinearResidual(Ops.LayerNorm(h, gamma, beta, 1e-5f), weight, bias, h));

        Assert.DoesNotContain("Binary.Add", activity.LaunchesByKernel.Keys);
        Assert.DoesNotContain("AddScaled", activity.LaunchesByKernel.Keys);
    }

    [GpuTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_flipped_share_costs_one_launch_whether_it_comes_first_or_last(bool flippedUseFirst)
    {
        var weight = Parameter("weight", Width, Width);
        var activity = BackwardActivity(h =>
        {
            var (flipped, plain) = (Ops.Mul(Ops.Flip(h, 1), new Variable(OnGpu(Random(h.Value.ShapeArray())))), Ops.Linear(h, weight, null));
            return flippedUseFirst ? Ops.Add(flipped, plain) : Ops.Add(plain, flipped);
        });

        long sumsAndCopies = new[] { "Binary.Add", "AddScaled", "CopyStrided32" }.Sum(activity.LaunchesByKernel.GetValueOrDefault);
        Assert.Equal(1, sumsAndCopies);
    }

    /// <summary>
    /// The kernels launched by the backward of uses(h) * w, with h = x W0^T computed (so its gradient is summed by the
    /// pass) and w fixed, so that the gradient reaching the uses, dy w, is one the pass allocated.
    /// </summary>
    private DeviceActivity BackwardActivity(Func<Variable, Variable> uses)
    {
        var x = new Variable(OnGpu(Random(2, 5, Width)), requiresGrad: true);
        var h = Ops.Linear(x, Parameter("w0", Width, Width), null);
        var y = uses(h);
        var output = Ops.Mul(y, new Variable(OnGpu(Random(y.Value.ShapeArray()))));
        var outputGrad = OnGpu(Random(y.Value.ShapeArray()));
        var before = Counters.ReadActivity();
        output.Backward(outputGrad);
        return Counters.ReadActivity().Since(before);
    }

    private Parameter Parameter(string name, params int[] shape) => new(name, OnGpu(Random(shape)));
}

/// <summary>On ILGPU's CPU accelerator (alone: other tests launching kernels meanwhile would move the counts).</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
[Collection(MemoryCountersCollection.Name)]
public sealed class SharedGradientLaunchIlgpuCpuTests : SharedGradientLaunchTests;

/// <summary>On CUDA.</summary>
[GpuTarget(DeviceKind.Cuda)]
[Collection(MemoryCountersCollection.Name)]
public sealed class SharedGradientLaunchCudaTests : SharedGradientLaunchTests;
