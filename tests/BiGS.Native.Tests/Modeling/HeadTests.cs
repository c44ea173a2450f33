using BiGS.Native.Autograd;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;

namespace BiGS.Native.Tests.Modeling;

/// <summary>Each head's outputs and loss, the loss recomputed in double from the head's own logits.</summary>
public class HeadTests
{
    private const int Batch = 2, Length = 6;

    private static BiGSConfig Tiny(int numLabels = 3, string? problemType = null) => new()
    {
        VocabSize = 40, HiddenSize = 8, IntermediateSize = 12, NumHiddenLayers = 2, NumSsm = 4, MaxPositionEmbeddings = 16,
        NumLabels = numLabels, ProblemType = problemType, HiddenDropoutProb = 0f,
    };

    private static Tensor Ids(int batch = Batch) =>
        Tensor.FromInts(Enumerable.Range(0, batch * Length).Select(i => (i * 7 + 3) % 40).ToArray(), batch, Length);

    private static double LogSoftmaxAt(float[] row, int index)
    {
        double max = row.Max(), sum = row.Sum(v => Math.Exp(v - max));
        return row[index] - max - Math.Log(sum);
    }

    private static float[] Row(float[] values, int row, int width) => values.Skip(row * width).Take(width).ToArray();

    [Fact]
    public void Single_label_classification_uses_cross_entropy()
    {
        var model = new BiGSForSequenceClassification(Tiny(), seed: 1);
        var labels = Tensor.FromInts([2, 0], 2);
        var output = model.Forward(new BiGSInput(Ids()) { Labels = labels });
        var logits = output.Logits!.Value.ToArray();
        double expected = -(LogSoftmaxAt(Row(logits, 0, 3), 2) + LogSoftmaxAt(Row(logits, 1, 3), 0)) / 2;
        Assert.Equal(expected, output.Loss!.Value.Item(), 5);
        Assert.Equal(new[] { Batch, 8 }, output.PoolerOutput!.Value.ShapeArray());
    }

    [Fact]
    public void Regression_uses_mean_squared_error()
    {
        var model = new BiGSForSequenceClassification(Tiny(numLabels: 1), seed: 2);
        var output = model.Forward(new BiGSInput(Ids()) { Labels = Tensor.FromArray([0.5f, -1f], 2) });
        var logits = output.Logits!.Value.ToArray();
        double expected = (Math.Pow(logits[0] - 0.5, 2) + Math.Pow(logits[1] + 1, 2)) / 2;
        Assert.Equal(expected, output.Loss!.Value.Item(), 5);
    }

    [Fact]
    public void Multi_label_uses_binary_cross_entropy_with_logits()
    {
        var model = new BiGSForSequenceClassification(Tiny(), seed: 3);
        var targets = new float[] { 1, 0, 1, 0, 0, 1 };
        var output = model.Forward(new BiGSInput(Ids()) { Labels = Tensor.FromArray(targets, 2, 3) });
        var x = output.Logits!.Value.ToArray();
        double expected = x.Select((v, i) => -(targets[i] * Math.Log(1 / (1 + Math.Exp(-v))) + (1 - targets[i]) * Math.Log(1 - 1 / (1 + Math.Exp(-v))))).Average();
        Assert.Equal(expected, output.Loss!.Value.Item(), 5);
    }

    [Fact]
    public void Classification_labels_out_of_range_are_rejected()
    {
        var model = new BiGSForSequenceClassification(Tiny(), seed: 1);
        Assert.Contains("outside [0, 3)", Assert.Throws<ArgumentOutOfRangeException>(() =>
            model.Forward(new BiGSInput(Ids()) { Labels = Tensor.FromInts([3, 0], 2) })).Message);
    }

    [Fact]
    public void Token_classification_ignores_minus_100()
    {
        var model = new BiGSForTokenClassification(Tiny(), seed: 4);
        var labels = Enumerable.Range(0, Batch * Length).Select(i => i % 4 == 0 ? -100 : i % 3).ToArray();
        var output = model.Forward(new BiGSInput(Ids()) { Labels = Tensor.FromInts(labels, Batch, Length) });
        var logits = output.Logits!.Value.ToArray();
        var used = labels.Select((l, i) => (l, i)).Where(p => p.l != -100).ToList();
        double expected = -used.Average(p => LogSoftmaxAt(Row(logits, p.i, 3), p.l));
        Assert.Equal(expected, output.Loss!.Value.Item(), 5);
    }

    [Fact]
    public void Question_answering_averages_start_and_end_losses_and_ignores_positions_outside()
    {
        var model = new BiGSForQuestionAnswering(Tiny(), seed: 5);
        var output = model.Forward(new BiGSInput(Ids())
        {
            StartPositions = Tensor.FromInts([1, 9], 2),
            EndPositions = Tensor.FromInts([4, 2], 2),
        });
        Assert.Equal(new[] { Batch, Length }, output.StartLogits!.Value.ShapeArray());
        var start = output.StartLogits.Value.ToArray();
        var end = output.EndLogits!.Value.ToArray();
        double startLoss = -LogSoftmaxAt(Row(start, 0, Length), 1); // row 1's start (9) is outside the sequence
        double endLoss = -(LogSoftmaxAt(Row(end, 0, Length), 4) + LogSoftmaxAt(Row(end, 1, Length), 2)) / 2;
        Assert.Equal((startLoss + endLoss) / 2, output.Loss!.Value.Item(), 5);
    }

    [Fact]
    public void Multiple_choice_scores_each_choice_like_a_single_sequence()
    {
        var model = new BiGSForMultipleChoice(Tiny(), seed: 6);
        model.Eval();
        var ids = Tensor.FromInts(Enumerable.Range(0, 2 * 3 * Length).Select(i => (i * 5 + 1) % 40).ToArray(), 2, 3, Length);
        var output = model.Forward(new BiGSInput(ids) { Labels = Tensor.FromInts([1, 2], 2) });
        Assert.Equal(new[] { 2, 3 }, output.Logits!.Value.ShapeArray());
        var single = model.Bigs.Forward(new BiGSInput(ids.Reshape(6, Length).Slice(0, 4, 1).Contiguous()));
        float alone = model.Classifier.Forward(single.PoolerOutput!).Value.Item();
        Assert.Equal(alone, output.Logits.Value[1, 1], 5);
    }

    [Fact]
    public void Pretraining_loss_is_the_sum_of_mlm_and_next_sentence_losses()
    {
        var model = new BiGSForPreTraining(Tiny(), seed: 7);
        var mlmLabels = Enumerable.Repeat(-100, Batch * Length).ToArray();
        mlmLabels[2] = 5;
        mlmLabels[9] = 11;
        var output = model.Forward(new BiGSInput(Ids())
        {
            Labels = Tensor.FromInts(mlmLabels, Batch, Length),
            NextSentenceLabel = Tensor.FromInts([1, 0], 2),
        });
        var logits = output.Logits!.Value.ToArray();
        var nsp = output.SeqRelationshipLogits!.Value.ToArray();
        double mlm = -(LogSoftmaxAt(Row(logits, 2, 40), 5) + LogSoftmaxAt(Row(logits, 9, 40), 11)) / 2;
        double next = -(LogSoftmaxAt(Row(nsp, 0, 2), 1) + LogSoftmaxAt(Row(nsp, 1, 2), 0)) / 2;
        Assert.Equal(mlm + next, output.Loss!.Value.Item(), 4);
    }

    [Fact]
    public void Tied_decoder_sends_its_gradient_into_the_word_embeddings()
    {
        var model = new BiGSForMaskedLM(Tiny(), seed: 8);
        Assert.DoesNotContain(model.NamedParameters(), p => p.Name.Contains("decoder"));
        var labels = Enumerable.Repeat(-100, Batch * Length).ToArray();
        labels[0] = 39; // a token id that never occurs in the input: only the decoder can give its row a gradient
        model.Forward(new BiGSInput(Ids()) { Labels = Tensor.FromInts(labels, Batch, Length) }).Loss!.Backward();
        var grad = model.Bigs.Embeddings.WordEmbeddings.Weight.Grad!.ToArray();
        Assert.Contains(grad.Skip(39 * 8).Take(8), v => v != 0f);
    }

    [Fact]
    public void Post_norm_layers_run_and_differ_from_pre_norm()
    {
        var pre = new BiGSModel(Tiny(), seed: 9);
        var postConfig = Tiny();
        postConfig.PreNorm = false;
        var post = new BiGSModel(postConfig, seed: 9);
        using var _ = GradMode.NoGrad();
        var a = pre.Forward(new BiGSInput(Ids())).LastHiddenState.Value.ToArray();
        var b = post.Forward(new BiGSInput(Ids())).LastHiddenState.Value.ToArray();
        Assert.NotEqual(a, b);
        Assert.All(b, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Too_long_input_is_rejected_with_the_limit()
    {
        var model = new BiGSModel(Tiny(), seed: 1);
        var ids = Tensor.FromInts(new int[20], 1, 20);
        Assert.Contains("max_position_embeddings 16", Assert.Throws<ArgumentException>(() => model.Forward(new BiGSInput(ids))).Message);
    }
}
