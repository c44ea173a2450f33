using BiGS.Native.Checkpoints;
using BiGS.Native.Tests.Modeling;

namespace BiGS.Native.Tests.Cli;

/// <summary><c>bigs forward</c> and <c>bigs convert</c> on the tiny fixtures, checked against the reference numbers.</summary>
[Collection("Console")]
public sealed class ForwardAndConvertCommandTests : IDisposable
{
    private readonly string work = Path.Combine(Path.GetTempPath(), "bigs-cli-" + Guid.NewGuid().ToString("N"));

    public ForwardAndConvertCommandTests() => Directory.CreateDirectory(work);

    public void Dispose() => Directory.Delete(work, recursive: true);

    private string WriteInputs(int length, bool withLabels)
    {
        string path = Path.Combine(work, "inputs.safetensors");
        var golden = TinyFixture.Golden;
        var tensors = new List<CheckpointTensor>
        {
            golden[$"L{length}.input_ids"].WithName("input_ids"),
            golden[$"L{length}.token_type_ids"].WithName("token_type_ids"),
            golden[$"L{length}.attention_mask"].WithName("attention_mask"),
        };
        if (withLabels) tensors.Add(TinyFixture.Grads[$"L{length}.mlm.labels"].WithName("labels"));
        SafeTensorsWriter.Write(path, tensors);
        return path;
    }

    [Fact]
    public void Forward_with_backward_writes_outputs_loss_and_gradients_matching_the_reference()
    {
        string output = Path.Combine(work, "out.safetensors");
        var (code, _, error) = CliRunner.Run("forward", "--model", TinyFixture.Directory, "--inputs", WriteInputs(40, withLabels: true),
            "--output", output, "--head", "mlm", "--backward");
        Assert.True(code == 0, error);
        var result = SafeTensorsReader.ReadAll(output);
        TestData.AssertClose(TinyFixture.Golden["L40.mlm_logits"].Floats!, result["logits"].Floats!, 2e-5, 2e-5, "logits");
        TestData.AssertClose(TinyFixture.Golden["L40.layer.1.output"].Floats!, result["hidden_states.2"].Floats!, 2e-5, 2e-5, "hidden_states.2");
        TinyFixture.AssertLoss("L40.mlm.loss", result["loss"].Floats![0]);
        var grad = result["grad.bigs.encoder.layer.0.dv.weight"];
        TinyFixture.AssertGradient("L40.mlm.grad.bigs.encoder.layer.0.dv.weight", "dv.weight",
            BiGS.Native.Tensors.Tensor.FromArray(grad.Floats!, grad.Shape));
    }

    [Fact]
    public void Forward_with_the_classification_head_writes_the_pooled_output()
    {
        string output = Path.Combine(work, "out.safetensors");
        var (code, _, error) = CliRunner.Run("forward", "--model", TinyFixture.Directory, "--inputs", WriteInputs(64, withLabels: false),
            "--output", output, "--head", "sequence-classification");
        Assert.True(code == 0, error);
        var result = SafeTensorsReader.ReadAll(output);
        TestData.AssertClose(TinyFixture.Golden["L64.pooled_output"].Floats!, result["pooler_output"].Floats!, 2e-5, 2e-5, "pooler_output");
        TestData.AssertClose(TinyFixture.Golden["L64.classifier_logits"].Floats!, result["logits"].Floats!, 2e-5, 2e-5, "logits");
    }

    [Fact]
    public void Forward_reports_a_missing_input_tensor_and_fails()
    {
        string inputs = Path.Combine(work, "empty.safetensors");
        SafeTensorsWriter.Write(inputs, [CheckpointTensor.FromInts("ids", [1, 2], [1, 2])]);
        var (code, _, error) = CliRunner.Run("forward", "--model", TinyFixture.Directory, "--inputs", inputs, "--output", Path.Combine(work, "o.safetensors"));
        Assert.Equal(1, code);
        Assert.Contains("input_ids", error);
    }

    [Fact]
    public void Convert_turns_the_flax_checkpoint_into_the_reference_safetensors()
    {
        string flaxOnly = Path.Combine(work, "flax");
        Directory.CreateDirectory(flaxOnly);
        File.Copy(Path.Combine(TinyFixture.Directory, "config.json"), Path.Combine(flaxOnly, "config.json"));
        File.Copy(Path.Combine(TinyFixture.Directory, "flax_model.msgpack"), Path.Combine(flaxOnly, "flax_model.msgpack"));
        string converted = Path.Combine(work, "converted");
        var (code, _, error) = CliRunner.Run("convert", "--from", flaxOnly, "--to", converted);
        Assert.True(code == 0, error);
        var expected = SafeTensorsReader.ReadAll(Path.Combine(TinyFixture.Directory, "model.safetensors"));
        var actual = SafeTensorsReader.ReadAll(Path.Combine(converted, "model.safetensors"));
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, tensor) in expected)
        {
            Assert.Equal(tensor.Shape, actual[name].Shape);
            Assert.Equal(tensor.Floats, actual[name].Floats);
        }
        Assert.True(File.Exists(Path.Combine(converted, "config.json")));
    }

    [Fact]
    public void Walkthrough_shows_convolution_and_recurrence_agree_and_writes_the_plot()
    {
        string svg = Path.Combine(work, "k.svg");
        var (code, output, error) = CliRunner.Run("ssm-walkthrough", "--model", TinyFixture.Directory, "--layer", "1", "--length", "64", "--out", svg);
        Assert.True(code == 0, error);
        Assert.Contains("layer 1, fs4", output);
        Assert.StartsWith("<svg", File.ReadAllText(svg));
        var difference = double.Parse(output.Split("max |difference| = ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(difference < 1e-4, output);
    }
}
