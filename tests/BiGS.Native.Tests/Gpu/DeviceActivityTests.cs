using BiGS.Native.Autograd;
using BiGS.Native.Benchmarking;
using BiGS.Native.Gpu;
using BiGS.Native.Gpu.Kernels;
using BiGS.Native.Modeling;
using BiGS.Native.Ssm;
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
        // one plan, untimed: on CUDA the tuner would otherwise time every candidate plan of this new problem first
        using var untuned = GemmTileTuner.Force(GemmPlan.Default);
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
    public void An_S4D_backward_reads_the_kernel_spectrum_its_forward_made()
    {
        var ssm = new S4D(stateSize: 4, "lin", new Rng(5));
        ssm.To(Gpu);
        var u = new Variable(OnGpu(Random(2, 40, 3)), requiresGrad: true);
        // on CUDA the first forward of a new problem times both FFT paths (IlgpuBackend.FftPaths)
        ssm.Forward(u);
        var before = Counters.ReadActivity();
        ssm.Forward(u).Backward(OnGpu(Random(2, 40, 3)));
        var activity = Counters.ReadActivity().Since(before);

        // K''s spectrum: FoldSkip starts it on the global-memory path, SharedKernelSpectrum makes it on the shared one
        long spectra = new[] { "FoldSkip", "SharedKernelSpectrum" }.Sum(activity.LaunchesByKernel.GetValueOrDefault);
        Assert.Equal(1, spectra);
        ssm.Dispose();
    }

    [GpuFact]
    public void Benchmark_training_steps_launch_the_same_kernels_every_step_and_more_than_a_forward()
    {
        var training = Benchmark(train: true, warmup: 1, runs: 2);
        // after a warm-up step, as training's: on a device whose GEMM tuner measures (CUDA), the first step with the
        // vocabulary's product over every position (a new problem) also launches each of its candidate plans
        var forward = Benchmark(train: false, warmup: 1, runs: 1);

        var (second, third) = (training.StepActivity![0], training.StepActivity[1]);
        Assert.True(second.Launches > 0);
        Assert.Equal(second.LaunchesByKernel, third.LaunchesByKernel);
        Assert.Contains("AdamW", second.LaunchesByKernel.Keys);
        Assert.Contains("LayerNormBackward", second.LaunchesByKernel.Keys);
        // only the loss at the end: the labels stay on the host, where the masked-LM objective finds the labelled positions
        Assert.Equal(1, second.DeviceToHostCopies);
        // one copy to the device: the masked positions and their targets, together (default position ids are made there)
        Assert.Equal(1, second.HostToDeviceCopies);

        var inference = Assert.Single(forward.StepActivity!);
        Assert.InRange(inference.Launches, 1, second.Launches - 1);
        Assert.DoesNotContain("AdamW", inference.LaunchesByKernel.Keys);
        Assert.DoesNotContain("LayerNormBackward", inference.LaunchesByKernel.Keys);
        Assert.Equal(1, inference.DeviceToHostCopies); // the first logit
    }

    [GpuFact]
    public void A_training_step_sorts_only_the_word_ids_in_one_launch()
    {
        var step = Benchmark(train: true, warmup: 0, runs: 1).StepActivity![0].LaunchesByKernel;

        // word ids: one tile sort and the scatter of its runs; token type 0, positions 0..L-1 and the masked rows of
        // the MLM objective: one scatter each at increasing ids
        Assert.Equal(1, step["SortTiles"]);
        Assert.Equal(1, step["ScatterRuns"]);
        Assert.Equal(3, step["ScatterIncreasing"]);
        Assert.DoesNotContain("BitonicStage", step.Keys);
        Assert.DoesNotContain("MergeTiles", step.Keys);
    }

    [GpuFact]
    public void A_sort_past_one_tile_launches_only_the_stages_with_partners_a_tile_apart()
    {
        const int count = 3 * EmbeddingKernels.SortTile; // 4 tiles of keys after padding
        var ids = Tensor.FromInts([.. Enumerable.Range(0, count).Select(i => i % 5)], count).To(Gpu);
        var (dy, dtable) = (OnGpu(Random(count, 1)), Tensor.Zeros(Gpu, 5, 1));
        var before = Counters.ReadActivity();
        Tensor.EmbeddingBackward(dy, ids, dtable);
        var activity = Counters.ReadActivity().Since(before);

        // blocks of 2 and 4 tiles: distances of 1 tile, then of 2 tiles and 1 tile, each merge finishing within tiles
        Assert.Equal(new Dictionary<string, long> { ["SortTiles"] = 1, ["BitonicStage"] = 3, ["MergeTiles"] = 2, ["ScatterRuns"] = 1 },
            activity.LaunchesByKernel);
    }

    [GpuFact]
    public void Timed_launches_add_their_device_time_by_kernel_and_untimed_ones_add_none()
    {
        var (a, b) = (OnGpu(Random(3, 4)), OnGpu(Random(4, 5)));
        using var untuned = GemmTileTuner.Force(GemmPlan.Default);
        var before = Counters.ReadActivity();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Counters.TimesKernels = true;
        try
        {
            _ = Tensor.MatMul(a + a, b).ToArray();
        }
        finally
        {
            Counters.TimesKernels = false;
        }
        var timed = Counters.ReadActivity().Since(before);
        double wallMilliseconds = watch.Elapsed.TotalMilliseconds;
        _ = (a + a).ToArray();
        var untimed = Counters.ReadActivity().Since(before);

        Assert.Equal(["Binary.Add", "Gemm.Simt"], timed.MillisecondsByKernel.Keys.Order(StringComparer.Ordinal));
        // each launch lies between its markers, all of them inside the host's interval around the launches and the read
        Assert.All(timed.MillisecondsByKernel.Values, milliseconds => Assert.InRange(milliseconds, 1e-6, wallMilliseconds));
        Assert.InRange(timed.TimedMilliseconds, 1e-6, wallMilliseconds);
        Assert.Equal(timed.MillisecondsByKernel, untimed.MillisecondsByKernel);
        Assert.Equal(2, untimed.LaunchesByKernel["Binary.Add"]);
    }

    [GpuFact]
    public void A_profiled_benchmark_step_times_the_kernels_a_timed_step_launches()
    {
        var result = Benchmark(train: true, warmup: 1, runs: 1, profileKernels: true);

        var profiled = result.ProfiledStep!;
        Assert.Equal(result.StepActivity![0].LaunchesByKernel, profiled.Activity.LaunchesByKernel);
        Assert.Subset(profiled.Activity.LaunchesByKernel.Keys.ToHashSet(), profiled.Activity.MillisecondsByKernel.Keys.ToHashSet());
        Assert.InRange(profiled.Activity.TimedMilliseconds, 1e-6, 1000 * profiled.WallSeconds);
        var kernels = profiled.KernelsByTime().ToArray();
        Assert.Equal(kernels.Select(kernel => kernel.Milliseconds).OrderDescending(), kernels.Select(kernel => kernel.Milliseconds));
        Assert.Equal(kernels.Length, result.ToJson()["profiled_step"]!["kernels"]!.AsObject().Count);
        Assert.Contains("AdamW", result.DescribeKernelTimes());
        Assert.False(Counters.TimesKernels);
    }

    private ModelBenchmarkResult Benchmark(bool train, int warmup, int runs, bool profileKernels = false) => new ModelBenchmark(new ModelBenchmarkOptions
    {
        ProfileKernels = profileKernels,
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
