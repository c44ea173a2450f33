using BiGS.Native.Gpu;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;
using BiGS.Native.Tests.Modeling;
using BiGS.Native.Training;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// A training step on a GPU device reads nothing back: forward with dropout, the masked-LM loss, backward and the
/// AdamW update make no device-to-host copy; reading the loss afterwards is exactly one. Dropout masks are the CPU's.
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
