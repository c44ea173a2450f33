using BiGS.Native.Autograd;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;
using BiGS.Native.Tests.Gpu;

namespace BiGS.Native.Tests.Modeling;

/// <summary>
/// Our model against the authors' implementation on bigs-tiny, from both checkpoint formats, at L = max and L &lt; max,
/// on every device: the model is moved with <c>model.To(device)</c> and its ids, masks and labels live on the device too.
/// </summary>
public abstract class FixtureParityTests
{
    /// <summary>The device under test (the concrete class's <see cref="GpuTargetAttribute"/>, or the CPU).</summary>
    private Device Device => TestDevices.For(GetType());

    public static TheoryData<string, int> Cases => new()
    {
        { "model.safetensors", 64 },
        { "model.safetensors", 40 },
        { "flax_model.msgpack", 64 },
        { "flax_model.msgpack", 40 },
    };

    [GpuTheory]
    [MemberData(nameof(Cases))]
    public void Masked_lm_forward_matches_every_reference_tensor(string weights, int length)
    {
        var model = TinyFixture.Load(c => new BiGSForMaskedLM(c), weights, Device);
        BiGSOutput output;
        using (GradMode.NoGrad()) output = model.Forward(TinyFixture.Input(length, Device));
        Assert.Equal(Device, output.Logits!.Value.Device);
        var hidden = output.HiddenStates!;
        TinyFixture.AssertForward($"L{length}.embedding_output", hidden[0].Value);
        for (int i = 1; i < hidden.Count; i++)
            TinyFixture.AssertForward($"L{length}.layer.{i - 1}.output", hidden[i].Value);
        TinyFixture.AssertForward($"L{length}.last_hidden_state", output.LastHiddenState.Value);
        TinyFixture.AssertForward($"L{length}.mlm_logits", output.Logits!.Value);
        for (int i = 0; i < model.Config.NumHiddenLayers; i++)
        {
            var layer = model.Bigs.Encoder.Layers[i];
            TinyFixture.AssertForward($"L{length}.layer.{i}.fs4.K", layer.ForwardSsm.Kernel.Kernel(length));
            TinyFixture.AssertForward($"L{length}.layer.{i}.bs4.K", layer.BackwardSsm.Kernel.Kernel(length));
        }
    }

    [GpuTheory]
    [MemberData(nameof(Cases))]
    public void Classifier_forward_matches_pooled_output_and_logits(string weights, int length)
    {
        var model = TinyFixture.Load(c => new BiGSForSequenceClassification(c), weights, Device);
        BiGSOutput output;
        using (GradMode.NoGrad()) output = model.Forward(TinyFixture.Input(length, Device));
        TinyFixture.AssertForward($"L{length}.pooled_output", output.PoolerOutput!.Value);
        TinyFixture.AssertForward($"L{length}.classifier_logits", output.Logits!.Value);
    }

    [GpuTheory]
    [MemberData(nameof(Cases))]
    public void Masked_lm_loss_and_every_gradient_match(string weights, int length)
    {
        var model = TinyFixture.Load(c => new BiGSForMaskedLM(c), weights, Device);
        var labels = TinyFixture.IntTensor(TinyFixture.Grads[$"L{length}.mlm.labels"], Device);
        var loss = model.Forward(TinyFixture.Input(length, Device, labels)).Loss!;
        TinyFixture.AssertLoss($"L{length}.mlm.loss", loss.Value.Item());
        loss.Backward();
        AssertEveryGradient(model, $"L{length}.mlm.grad.");
    }

    [GpuTheory]
    [MemberData(nameof(Cases))]
    public void Classification_loss_and_every_gradient_match(string weights, int length)
    {
        var model = TinyFixture.Load(c => new BiGSForSequenceClassification(c), weights, Device);
        var labels = TinyFixture.IntTensor(TinyFixture.Grads[$"L{length}.cls.labels"], Device);
        var loss = model.Forward(TinyFixture.Input(length, Device, labels)).Loss!;
        TinyFixture.AssertLoss($"L{length}.cls.loss", loss.Value.Item());
        loss.Backward();
        AssertEveryGradient(model, $"L{length}.cls.grad.");
    }

    [GpuTheory]
    [InlineData(64)]
    [InlineData(40)]
    public void Gradient_with_respect_to_the_embedding_output_matches(int length)
    {
        var model = TinyFixture.Load(c => new BiGSForMaskedLM(c), "model.safetensors", Device);
        var input = TinyFixture.Input(length, Device, TinyFixture.IntTensor(TinyFixture.Grads[$"L{length}.mlm.labels"], Device));
        Tensor embedded;
        using (GradMode.NoGrad())
            embedded = model.Bigs.Embeddings.Forward(input.InputIds, input.TokenTypeIds, null).Value;
        var leaf = new Variable(embedded, requiresGrad: true);
        var (last, _) = model.Bigs.Encoder.Forward(leaf, collectHiddenStates: false);
        Ops.CrossEntropy(model.Cls.Predictions!.Forward(last), input.Labels!).Backward();
        TinyFixture.AssertGradient($"L{length}.mlm.grad.embedding_output", "embedding_output", leaf.Grad);
    }

    [GpuFact]
    public void Ids_and_labels_on_the_host_give_the_same_loss_and_gradients()
    {
        var model = TinyFixture.Load(c => new BiGSForMaskedLM(c), "model.safetensors", Device);
        var labels = TinyFixture.IntTensor(TinyFixture.Grads["L40.mlm.labels"], Device.Cpu);
        var loss = model.Forward(TinyFixture.Input(40, Device.Cpu, labels)).Loss!;
        Assert.Equal(Device, loss.Value.Device);
        TinyFixture.AssertLoss("L40.mlm.loss", loss.Value.Item());
        loss.Backward();
        AssertEveryGradient(model, "L40.mlm.grad.");
    }

    /// <summary>
    /// In training mode the dropout masks come from the model's generator, so the same seed gives the same loss and
    /// gradients on this device as on the CPU (int64 labels exercise the narrowing to int32 on the device).
    /// </summary>
    [GpuFact]
    public void Training_mode_with_dropout_matches_the_cpu_for_the_same_seed()
    {
        var labelValues = TinyFixture.Grads["L64.mlm.labels"];
        var labels = Tensor.FromLongs(labelValues.Ints!.Select(v => (long)v).ToArray(), labelValues.Shape);
        (float Loss, Dictionary<string, float[]> Grads) Step(Device device)
        {
            var model = TinyFixture.Load(c => new BiGSForMaskedLM(c), "model.safetensors", device);
            model.Train();
            var loss = model.Forward(TinyFixture.Input(64, device, labels.To(device))).Loss!;
            loss.Backward();
            return (loss.Value.Item(), model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToArray()));
        }
        var (cpuLoss, cpuGrads) = Step(Device.Cpu);
        var (loss, grads) = Step(Device);
        Assert.True(Math.Abs(loss - cpuLoss) <= 1e-5 * Math.Max(1, Math.Abs(cpuLoss)), $"loss {loss:G9} on {Device}, {cpuLoss:G9} on the CPU");
        foreach (var (name, expected) in cpuGrads)
        {
            double scale = expected.Max(v => Math.Abs((double)v));
            double worst = expected.Select((v, i) => Math.Abs((double)v - grads[name][i])).Max();
            Assert.True(worst <= 1e-3 * scale + 1e-7, $"{name}: max |diff| {worst:G3} against the CPU exceeds 1e-3 x {scale:G3}");
        }
    }

    /// <summary>
    /// Every stored gradient: parameters of our model compare with their gradient; parameters of the other head
    /// (absent from this model) must be stored as zeros.
    /// </summary>
    private void AssertEveryGradient(BiGSPreTrainedModel model, string prefix)
    {
        var grads = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad);
        Assert.All(grads.Values, g => Assert.True(g is null || g.Device.Equals(Device), $"a gradient is on {g!.Device}, not {Device}"));
        int checkedCount = 0;
        foreach (var name in TinyFixture.Grads.Keys.Where(k => k.StartsWith(prefix) && k != prefix + "embedding_output"))
        {
            string parameterName = name[prefix.Length..];
            TinyFixture.AssertGradient(name, parameterName, grads.TryGetValue(parameterName, out var g) ? g : null);
            checkedCount++;
        }
        Assert.True(checkedCount >= grads.Count, $"only {checkedCount} gradients checked for {grads.Count} parameters");
    }
}

/// <summary>The fixture parity family on the CPU backend.</summary>
public sealed class CpuFixtureParityTests : FixtureParityTests;

/// <summary>
/// The fixture parity family on ILGPU's CPU accelerator (every kernel, in CI). Its threads simulate a GPU's and are
/// slow, so it takes one checkpoint format at L &lt; max (the formats differ only on the host, before any kernel);
/// CUDA runs every case.
/// </summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
[DataRowsOf("model.safetensors", 40)]
public sealed class IlgpuCpuFixtureParityTests : FixtureParityTests;

/// <summary>The fixture parity family on OpenCL.</summary>
[GpuTarget(DeviceKind.OpenCL)]
public sealed class OpenClFixtureParityTests : FixtureParityTests;

/// <summary>The fixture parity family on CUDA (skipped without a device).</summary>
[GpuTarget(DeviceKind.Cuda)]
public sealed class CudaFixtureParityTests : FixtureParityTests;
