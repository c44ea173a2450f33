using BiGS.Native.Autograd;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;

namespace BiGS.Native.Tests.Modeling;

/// <summary>Our model against the authors' implementation on bigs-tiny, from both checkpoint formats, at L = max and L &lt; max.</summary>
public class FixtureParityTests
{
    public static TheoryData<string, int> Cases => new()
    {
        { "model.safetensors", 64 },
        { "model.safetensors", 40 },
        { "flax_model.msgpack", 64 },
        { "flax_model.msgpack", 40 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Masked_lm_forward_matches_every_reference_tensor(string weights, int length)
    {
        var model = TinyFixture.Load(c => new BiGSForMaskedLM(c), weights);
        BiGSOutput output;
        using (GradMode.NoGrad()) output = model.Forward(TinyFixture.Input(length));
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

    [Theory]
    [MemberData(nameof(Cases))]
    public void Classifier_forward_matches_pooled_output_and_logits(string weights, int length)
    {
        var model = TinyFixture.Load(c => new BiGSForSequenceClassification(c), weights);
        BiGSOutput output;
        using (GradMode.NoGrad()) output = model.Forward(TinyFixture.Input(length));
        TinyFixture.AssertForward($"L{length}.pooled_output", output.PoolerOutput!.Value);
        TinyFixture.AssertForward($"L{length}.classifier_logits", output.Logits!.Value);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Masked_lm_loss_and_every_gradient_match(string weights, int length)
    {
        var model = TinyFixture.Load(c => new BiGSForMaskedLM(c), weights);
        var labels = TinyFixture.IntTensor(TinyFixture.Grads[$"L{length}.mlm.labels"]);
        var loss = model.Forward(TinyFixture.Input(length, labels)).Loss!;
        TinyFixture.AssertLoss($"L{length}.mlm.loss", loss.Value.Item());
        loss.Backward();
        AssertEveryGradient(model, $"L{length}.mlm.grad.");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Classification_loss_and_every_gradient_match(string weights, int length)
    {
        var model = TinyFixture.Load(c => new BiGSForSequenceClassification(c), weights);
        var labels = TinyFixture.IntTensor(TinyFixture.Grads[$"L{length}.cls.labels"]);
        var loss = model.Forward(TinyFixture.Input(length, labels)).Loss!;
        TinyFixture.AssertLoss($"L{length}.cls.loss", loss.Value.Item());
        loss.Backward();
        AssertEveryGradient(model, $"L{length}.cls.grad.");
    }

    [Theory]
    [InlineData(64)]
    [InlineData(40)]
    public void Gradient_with_respect_to_the_embedding_output_matches(int length)
    {
        var model = TinyFixture.Load(c => new BiGSForMaskedLM(c), "model.safetensors");
        var input = TinyFixture.Input(length, TinyFixture.IntTensor(TinyFixture.Grads[$"L{length}.mlm.labels"]));
        Tensor embedded;
        using (GradMode.NoGrad())
            embedded = model.Bigs.Embeddings.Forward(input.InputIds, input.TokenTypeIds, null).Value;
        var leaf = new Variable(embedded, requiresGrad: true);
        var (last, _) = model.Bigs.Encoder.Forward(leaf, collectHiddenStates: false);
        Ops.CrossEntropy(model.Cls.Predictions!.Forward(last), input.Labels!).Backward();
        TinyFixture.AssertGradient($"L{length}.mlm.grad.embedding_output", "embedding_output", leaf.Grad);
    }

    /// <summary>
    /// Every stored gradient: parameters of our model compare with their gradient; parameters of the other head
    /// (absent from this model) must be stored as zeros.
    /// </summary>
    private static void AssertEveryGradient(BiGSPreTrainedModel model, string prefix)
    {
        var grads = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad);
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
