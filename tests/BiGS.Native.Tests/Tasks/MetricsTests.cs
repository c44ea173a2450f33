using BiGS.Native.Tasks;
using MathNet.Numerics.Statistics;

namespace BiGS.Native.Tests.Tasks;

public class MetricsTests
{
    // labels      1 1 1 1 0 0 0 0 0 0
    // predictions 1 1 1 0 1 0 0 0 0 0  -> TP 3, FN 1, FP 1, TN 5
    private static readonly int[] Labels = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
    private static readonly int[] Predictions = [1, 1, 1, 0, 1, 0, 0, 0, 0, 0];

    [Fact]
    public void Accuracy_and_f1_by_hand()
    {
        Assert.Equal(0.8, Metrics.Accuracy(Predictions, Labels), 12);
        Assert.Equal(2.0 * 3 / (2 * 3 + 1 + 1), Metrics.F1(Predictions, Labels), 12);
    }

    [Fact]
    public void Binary_matthews_equals_the_confusion_matrix_formula()
    {
        // (TP TN - FP FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)) = (15 - 1) / sqrt(4 * 4 * 6 * 6) = 14 / 24
        Assert.Equal(14.0 / 24.0, Metrics.MatthewsCorrelation(Predictions, Labels), 12);
    }

    [Fact]
    public void Multiclass_matthews_by_hand()
    {
        int[] labels = [0, 0, 1, 1, 2, 2];
        int[] predictions = [0, 1, 1, 1, 2, 0];
        // s = 6, c = 4, p = (2, 3, 1), t = (2, 2, 2): (4*6 - (4+6+2)) / sqrt((36-14)(36-12)) = 12 / sqrt(528)
        Assert.Equal(12 / Math.Sqrt(528), Metrics.MatthewsCorrelation(predictions, labels), 12);
    }

    [Fact]
    public void Degenerate_cases_score_zero_as_scikit_learn_does()
    {
        int[] allZero = [0, 0, 0];
        Assert.Equal(0, Metrics.F1(allZero, allZero));
        Assert.Equal(0, Metrics.MatthewsCorrelation(allZero, [0, 1, 1]));
        Assert.True(double.IsNaN(Metrics.Pearson([1, 1, 1], [1, 2, 3])));
    }

    [Fact]
    public void Pearson_and_spearman_match_mathnet_on_data_with_ties()
    {
        var rng = new Random(7);
        var x = Enumerable.Range(0, 200).Select(_ => Math.Round(rng.NextDouble() * 5, 1)).ToArray();
        var y = x.Select(v => Math.Round(v + rng.NextDouble() * 2, 1)).ToArray();
        Assert.Equal(Correlation.Pearson(x, y), Metrics.Pearson(x, y), 12);
        Assert.Equal(Correlation.Spearman(x, y), Metrics.Spearman(x, y), 12);
    }

    [Fact]
    public void Ties_share_their_average_rank()
    {
        Assert.Equal([1, 2.5, 2.5, 4], Metrics.AverageRanks([0.1, 0.5, 0.5, 0.9]));
        // x ranks (1, 2.5, 2.5, 4) against y ranks (1, 2, 3, 4): cov 4.5 / sqrt(4.5 * 5)
        Assert.Equal(4.5 / Math.Sqrt(4.5 * 5), Metrics.Spearman([0.1, 0.5, 0.5, 0.9], [1, 2, 3, 4]), 12);
    }

    [Fact]
    public void Mismatched_or_empty_inputs_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Metrics.Accuracy([1, 0], [1]));
        Assert.Throws<ArgumentException>(() => Metrics.Accuracy([], []));
    }

    [Fact]
    public void Task_scores_take_the_argmax_of_each_logit_row()
    {
        float[] logits = [0.1f, 2f, /**/ 3f, -1f, /**/ 0f, 0.5f, /**/ 1f, 0f];
        var scores = TaskScores.Compute(GlueTasks.Get("mrpc"), logits, [1f, 0f, 0f, 1f]);
        // predictions 1 0 1 0 against 1 0 0 1: TP 1, FP 1, FN 1 -> F1 0.5, accuracy 0.5
        Assert.Equal(0.5, scores.Main, 12);
        Assert.Equal(0.5, scores[TaskMetric.Accuracy], 12);
        Assert.Equal("f1 0.5000, accuracy 0.5000", scores.ToString());
    }

    [Fact]
    public void Regression_scores_compare_the_single_output_with_the_score()
    {
        var scores = TaskScores.Compute(GlueTasks.Get("stsb"), [1f, 2f, 4f], [0.5f, 2.5f, 3f]);
        Assert.Equal(Correlation.Pearson([1.0, 2, 4], [0.5, 2.5, 3]), scores[TaskMetric.Pearson], 6);
        Assert.Equal(1.0, scores[TaskMetric.Spearman], 12);
    }
}
