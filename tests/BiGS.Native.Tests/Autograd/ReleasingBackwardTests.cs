using BiGS.Native.Autograd;
using BiGS.Native.Benchmarking;
using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;
using BiGS.Native.Training;

namespace BiGS.Native.Tests.Autograd;

/// <summary>Backward(releaseGraph: true) frees the forward's memory during the sweep without changing any gradient.</summary>
public class ReleasingBackwardTests
{
    /// <summary>y = x, whose backward reads x's value (so it fails if that memory was freed too early).</summary>
    private static Variable ReadsInput(Variable x) =>
        Ops.Record("ReadsInput", x.Value * 1f, [x], dy => [dy * Tensor.FromArray(x.Value.ToArray(), x.Value.ShapeArray())]);

    [Fact]
    public void Values_are_freed_once_every_reader_is_done_and_leaves_and_root_stay()
    {
        using var scope = new TensorScope();
        float[] xs = [0.5f, -1f, 2f, 1.5f, -0.25f, 3f];
        var x = new Variable(Tensor.FromArray(xs, 2, 3), requiresGrad: true);
        var flatLeaf = Ops.Reshape(x, 6);                 // a view of the leaf: never freed
        var squares = Ops.Mul(flatLeaf, flatLeaf);         // v = x^2
        var squaresView = Ops.Reshape(squares, 2, 3);      // shares v's storage
        // v is read in the sweep through both the view and the original, so its storage must outlive both readers.
        var loss = Ops.SumAll(Ops.Add(ReadsInput(squaresView), Ops.Reshape(ReadsInput(squares), 2, 3)));

        loss.Backward(releaseGraph: true);

        // Each ReadsInput hands back dy * v, so dx = (v + v) * dv/dx = 2 x^2 * 2 x = 4 x^3.
        TestData.AssertClose(xs.Select(v => 4.0 * v * v * v).ToArray(), x.Grad!.ToArray(), 1e-6, 1e-6, "dL/dx");
        Assert.True(squares.Value.Storage.IsDisposed);
        Assert.False(x.Value.Storage.IsDisposed);
        Assert.Equal(xs, flatLeaf.Value.ToArray());
        Assert.Equal(2.0 * xs.Sum(v => (double)v * v), loss.Value.Item(), 4);
    }

    [Fact]
    public void A_node_saved_temporaries_are_freed()
    {
        using var scope = new TensorScope();
        var x = new Variable(TestData.RandomTensor(1, 3, 4), requiresGrad: true);
        var weight = new Variable(TestData.RandomTensor(2, 5, 4), requiresGrad: true);
        var bias = new Variable(TestData.RandomTensor(3, 5), requiresGrad: true);
        var y = Ops.LinearGelu(x, weight, bias, GeluKind.Tanh);
        var saved = y.Node!.Saved;
        Assert.NotEmpty(saved);

        Ops.SumAll(y).Backward(releaseGraph: true);

        Assert.All(saved, t => Assert.True(t.Storage.IsDisposed));
        Assert.True(y.Value.Storage.IsDisposed);
        Assert.False(weight.Value.Storage.IsDisposed);
    }

    [Fact]
    public void A_released_graph_cannot_be_back_propagated_again()
    {
        var x = new Variable(Tensor.FromArray([1f, 2f]), requiresGrad: true);
        var loss = Ops.SumAll(Ops.Square(x));
        loss.Backward(releaseGraph: true);
        var error = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("already released", error.Message);
        Assert.Equal(new float[] { 2, 4 }, x.Grad!.ToArray()); // the refused pass accumulated nothing
    }

    [Fact]
    public void A_model_gets_the_same_gradients_with_and_without_release()
    {
        var config = new BiGSConfig { VocabSize = 40, HiddenSize = 8, NumHiddenLayers = 2, IntermediateSize = 16, NumSsm = 4, MaxPositionEmbeddings = 12, HiddenDropoutProb = 0f };
        var model = new BiGSForMaskedLM(config, seed: 5);
        var batch = ModelBenchmark.SyntheticBatch(config.VocabSize, new ModelBenchmarkOptions { Config = config, Batch = 2, Length = 12, MaskedFraction = 0.3 }, new Rng(6));
        var objective = new MaskedLanguageModelingObjective();
        using (new TensorScope()) objective.Compute(model, batch).Loss.Backward();
        var expected = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToArray());
        model.ZeroGrad();

        using var scope = new TensorScope();
        var result = objective.Compute(model, batch);
        var logits = result.Loss.Node!.Inputs[0];
        result.Loss.Backward(releaseGraph: true);

        Assert.True(logits.Value.Storage.IsDisposed);
        foreach (var (name, parameter) in model.NamedParameters())
        {
            Assert.False(parameter.Value.Storage.IsDisposed, name);
            TestData.AssertClose(expected[name], parameter.Grad!.ToArray(), 0, 0, name);
        }
    }
}
