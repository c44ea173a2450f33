using BiGS.Native.Autograd;
using BiGS.Native.Tensors;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// On a device, the backward ops write parameter gradients straight into Grad: a pass onto existing gradients clears no
/// memory for them and launches no separate add.
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
