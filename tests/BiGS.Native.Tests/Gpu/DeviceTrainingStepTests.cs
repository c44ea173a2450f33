using BiGS.Native.Autograd;
using BiGS.Native.Gpu;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;
using BiGS.Native.Tests.Modeling;
using BiGS.Native.Tests.Training;
using BiGS.Native.Training;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// A training step on a GPU device reads nothing back: forward with dropout, the masked-LM loss, backward and the
/// AdamW update make no device-to-host copy; reading the loss afterwards is exactly one. A Trainer's updates, global-norm
/// clipping included, read back only the metrics it logs. Dropout masks, accuracy hits and clipping are the CPU's.
/// </summary>
public abstract class DeviceTrainingStepTests : GpuParityTests
{
    [GpuFact]
    public void A_training_step_copies_nothing_to_the_host_until_the_loss_is_read()
    {
        var model = TinyFixture.Load(c => new BiGSForMaskedLM(c), "model.safetensors", Gpu);
        model.Train();
        var optimizer = AdamW.ForModel(model, new AdamWOptions());
        var labels = TinyFixture.IntTensor(TinyFixture.Grads["L40.mlm.labels"], Gpu);
        var input = TinyFixture.Input(40, Gpu, labels) with { OutputHiddenStates = false };
        var backend = (IlgpuBackend)Gpu.Backend;

        long before = backend.DeviceToHostCopies;
        var loss = model.Forward(input).Loss!;
        loss.Backward(releaseGraph: true);
        optimizer.Step(1e-3f);
        Assert.Equal(before, backend.DeviceToHostCopies);

        Assert.True(float.IsFinite(loss.Value.Item()));
        Assert.Equal(before + 1, backend.DeviceToHostCopies);
    }

    [GpuFact]
    public void Trainer_updates_with_clipping_read_back_only_the_logged_metrics()
    {
        var corpus = TrainingTestKit.Corpus();
        var options = new TrainerOptions { Steps = 3, LogEvery = 3, GradientClipNorm = 0.05f };
        var (onDevice, _) = TrainingTestKit.Create(corpus, options, device: Gpu);
        var (onCpu, _) = TrainingTestKit.Create(corpus, options);
        var backend = (IlgpuBackend)Gpu.Backend;

        long before = backend.DeviceToHostCopies;
        var logged = Assert.Single(onDevice.Run().Log.Steps);
        Assert.Equal(before + 1, backend.DeviceToHostCopies); // the window's loss, accuracy hits and gradient norm, in one read

        var reference = Assert.Single(onCpu.Run().Log.Steps);
        Assert.True(reference.GradientNorm > 2 * options.GradientClipNorm, $"clipping was not exercised: norm {reference.GradientNorm}");
        Assert.Equal(3, logged.Step);
        Assert.Equal(reference.Loss, logged.Loss, 1e-4);
        Assert.Equal(reference.Accuracy, logged.Accuracy, 1e-6);
        Assert.Equal(reference.GradientNorm, logged.GradientNorm, 1e-3 * reference.GradientNorm);
    }

    [GpuFact]
    public void Clipping_to_the_global_norm_matches_the_cpu()
    {
        foreach (float maxNorm in new[] { 0.5f, 1e6f })
        {
            Parameter[] cpu = [Gradient("a", Random(3, 5)), Gradient("b", Random(7)), new Parameter("c", Tensor.Zeros(2))];
            var gpu = cpu.Select(p => p.Grad is null ? p : Gradient(p.Name, OnGpu(p.Grad))).ToArray();
            var cpuNorm = GradientClipping.ClipGlobalNorm(cpu, maxNorm);
            var gpuNorm = GradientClipping.ClipGlobalNorm(gpu, maxNorm);
            AssertClose(cpuNorm, gpuNorm, what: $"norm (max {maxNorm})");
            AssertClose(cpu[0].Grad!, gpu[0].Grad!, what: $"a (max {maxNorm})");
            AssertClose(cpu[1].Grad!, gpu[1].Grad!, what: $"b (max {maxNorm})");
        }
    }

    [GpuFact]
    public void A_norm_that_is_not_finite_leaves_the_gradients_as_they_are()
    {
        var grad = OnGpu(Random(4));
        var before = grad.ToArray();
        grad.ClipToNormInPlace(OnGpu(Tensor.FromArray([float.NaN], 1)), 1e-3f);
        grad.ClipToNormInPlace(OnGpu(Tensor.FromArray([float.PositiveInfinity], 1)), 1e-3f);
        Assert.Equal(before, grad.ToArray());
    }

    [GpuFact]
    public void Arg_max_hits_match_the_cpu()
    {
        const int rows = 17, classes = 33;
        var logits = Random(rows, classes);
        float[] values = logits.ToArray();
        // every fifth row ignored, every third labelled with its arg-max (a hit), the rest a fixed class
        int[] labels = Enumerable.Range(0, rows).Select(r => r % 5 == 0 ? -100
            : r % 3 == 0 ? Array.IndexOf(values, values.AsSpan(r * classes, classes).ToArray().Max(), r * classes) - r * classes
            : r % classes).ToArray();
        var cpu = Tensor.ArgMaxHits(logits, Tensor.FromInts(labels, rows));
        var gpu = Tensor.ArgMaxHits(OnGpu(logits), Tensor.FromInts(labels, rows));
        AssertClose(cpu, gpu, 0f, 0f, "hits");
        Assert.True(cpu.SumAll().Item() >= 4, "the labelled arg-max rows must be hits");
    }

    private static Parameter Gradient(string name, Tensor grad) => new(name, Tensor.ZerosLike(grad)) { Grad = grad };

    [GpuFact]
    public void Dropout_masks_on_the_device_are_the_cpus_for_the_same_seed()
    {
        var cpu = Tensor.DropoutMask(Device.Cpu, 0.8f, 99, 0, 7, 131);
        var gpu = Tensor.DropoutMask(Gpu, 0.8f, 99, 0, 7, 131);
        Assert.Equal(cpu.ToArray(), gpu.ToArray());
    }
}

/// <summary>The step on ILGPU's CPU accelerator (its copy counter is shared, hence the collection).</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
[Collection(MemoryCountersCollection.Name)]
public sealed class DeviceTrainingStepIlgpuCpuTests : DeviceTrainingStepTests;

/// <summary>The step on CUDA.</summary>
[GpuTarget(DeviceKind.Cuda)]
[Collection(MemoryCountersCollection.Name)]
public sealed class DeviceTrainingStepCudaTests : DeviceTrainingStepTests;
