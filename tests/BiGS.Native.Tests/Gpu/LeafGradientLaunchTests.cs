using BiGS.Native.Autograd;
using BiGS.Native.Ssm;
using BiGS.Native.Tensors;
using BiGS.Native.Training;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// On a device, the backward ops write parameter gradients straight into Grad: a pass onto existing gradients clears no
/// memory for them and launches no separate add; fresh gradients with a flat home are not copied there either.
/// </summary>
public abstract class LeafGradientLaunchTests : GpuParityTests
{
    private IDeviceActivityCounters Counters => (IDeviceActivityCounters)Gpu.Backend;

    [GpuFact]
    public void A_backward_onto_existing_gradients_clears_nothing_and_adds_nothing_separately()
    {
        var (table, gamma, beta) = (Parameter("table", 16, 8), Parameter("gamma", 8), Parameter("beta", 8));
        var (weight, bias) = (Parameter("weight", 5, 8), Parameter("bias", 5));
        var ids = Tensor.FromInts([1, 4, 1], 3);
        Variable Loss() => Ops.SumAll(Ops.Linear(Ops.LayerNorm(Ops.Embedding(table, ids), gamma, beta, 1e-5f), weight, bias));
        Loss().Backward(); // allocates the gradients

        var loss = Loss();
        var seed = OnGpu(Tensor.Ones(loss.Value.ShapeArray()));
        var before = Counters.ReadActivity();
        loss.Backward(seed);
        var activity = Counters.ReadActivity().Since(before);

        Assert.DoesNotContain("AddScaled", activity.LaunchesByKernel.Keys);
        Assert.Equal(0, activity.MemoryClears);
        Assert.Equal(2, activity.LaunchesByKernel["Gemm.Simt"]); // dx and dW (into Grad); no GEMM for the embedding
    }

    [GpuFact]
    public void S4D_parameter_gradients_go_into_their_flat_homes_from_the_ssm_kernels_with_no_copy_or_add()
    {
        var ssm = new S4D(stateSize: 4, "lin", new Rng(3));
        ssm.To(Gpu);
        AdamW.ForModel(ssm, new AdamWOptions()); // one group: values and gradient homes in flat buffers, no Grad yet
        var u = new Variable(OnGpu(Random(2, 40, 3)));
        var dy = OnGpu(Random(2, 40, 3));

        foreach (string pass in new[] { "fresh gradients (beta 0)", "onto existing gradients (beta 1)" })
        {
            var y = ssm.Forward(u);
            var before = Counters.ReadActivity();
            y.Backward(dy);
            var activity = Counters.ReadActivity().Since(before);

            Assert.False(activity.LaunchesByKernel.ContainsKey("AddScaled"), $"{pass}: a separate add");
            Assert.False(activity.LaunchesByKernel.ContainsKey("CopyStrided32"), $"{pass}: a copy");
            Assert.Equal(0, activity.MemoryClears);
            Assert.Equal(1, activity.LaunchesByKernel["S4DBackward"]);
            Assert.Equal(1, activity.LaunchesByKernel["S4DStepGradient"]);
        }
        Assert.Single(ssm.Parameters().Select(p => p.Grad!.Storage).Distinct()); // the group's flat gradient buffer
        ssm.Dispose();
    }

    private Parameter Parameter(string name, params int[] shape) => new(name, OnGpu(Random(shape)));
}

/// <summary>On ILGPU's CPU accelerator (alone: other tests launching kernels meanwhile would move the counts).</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
[Collection(MemoryCountersCollection.Name)]
public sealed class LeafGradientLaunchIlgpuCpuTests : LeafGradientLaunchTests;

/// <summary>On CUDA.</summary>
[GpuTarget(DeviceKind.Cuda)]
[Collection(MemoryCountersCollection.Name)]
public sealed class LeafGradientLaunchCudaTests : LeafGradientLaunchTests;
