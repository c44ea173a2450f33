using BiGS.Native.Benchmarking;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// A GPU backend counts each kernel launch under the kernel's readable name, and the copies between host and device;
/// the model benchmark reports them per step.
/// </summary>
public abstract class DeviceActivityTests : GpuParityTests
{
    private IDeviceActivityCounters Counters => (IDeviceActivityCounters)Gpu.Backend;

    [GpuFact]
    public void Each_primitive_counts_the_kernels_it_launches_and_its_copies()
    {
        var a = OnGpu(Random(3, 4));
        var b = OnGpu(Random(4, 5));
        var before = Counters.ReadActivity();
        var sum = a + a;
        var product = Tensor.MatMul(a, b);
        var zeros = Tensor.Zeros(Gpu, 7);
        var onDevice = OnGpu(Random(2));
        sum.ToArray();
        var activity = Counters.ReadActivity().Since(before);

        Assert.Equal(new Dictionary<string, long> { ["Binary.Add"] = 1, ["Gemm.Simt"] = 1 }, activity.LaunchesByKernel);
        Assert.Equal(2, activity.Launches);
        Assert.Equal(1, activity.DeviceToHostCopies);
        Assert.Equal(1, activity.HostToDeviceCopies);
        Assert.Equal(1, activity.MemoryClears);
        Assert.Equal((5, 7, 2), (product.Size(1), zeros.Length, onDevice.Length));
    }

    [GpuFact]
    public void Benchmark_training_steps_launch_the_same_kernels_every_step_and_more_than_a_forward()
    {
        var training = Benchmark(train: true, warmup: 1, runs: 2);
        var forward = Benchmark(train: false, warmup: 0, runs: 1);

        var (second, third) = (training.StepActivity![0], training.StepActivity[1]);
        Assert.True(second.Launches > 0);
        Assert.Equal(second.LaunchesByKernel, third.LaunchesByKernel);
        Assert.Contains("AdamW", second.LaunchesByKernel.Keys);
        Assert.Contains("LayerNormBackward", second.LaunchesByKernel.Keys);
        // the labels (the masked-LM objective finds the labelled positions on the host) and the loss at the end
        Assert.Equal(2, second.DeviceToHostCopies);

        var inference = Assert.Single(forward.StepActivity!);
        Assert.InRange(inference.Launches, 1, second.Launches - 1);
        Assert.DoesNotContain("AdamW", inference.LaunchesByKernel.Keys);
        Assert.DoesNotContain("LayerNormBackward", inference.LaunchesByKernel.Keys);
        Assert.Equal(1, inference.DeviceToHostCopies); // the first logit
    }

    private ModelBenchmarkResult Benchmark(bool train, int warmup, int runs) => new ModelBenchmark(new ModelBenchmarkOptions
    {
        Config = new BiGSConfig { NumHiddenLayers = 1, HiddenSize = 8, IntermediateSize = 12, NumSsm = 2, VocabSize = 20, MaxPositionEmbeddings = 4 },
        Device = Gpu,
        Batch = 1,
        Length = 4,
        Train = train,
        Warmup = warmup,
        Runs = runs,
    }).Run();
}

/// <summary>On ILGPU's CPU accelerator (alone: other tests launching kernels meanwhile would move the counts).</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
[Collection(MemoryCountersCollection.Name)]
public sealed class DeviceActivityIlgpuCpuTests : DeviceActivityTests;

/// <summary>On CUDA.</summary>
[GpuTarget(DeviceKind.Cuda)]
[Collection(MemoryCountersCollection.Name)]
public sealed class DeviceActivityCudaTests : DeviceActivityTests;
