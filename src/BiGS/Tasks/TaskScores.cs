namespace BiGS.Native.Tasks;

/// <summary>A task's metrics on one split, in the task's order (the first is the main metric).</summary>
/// <param name="Values">Metric and value pairs; the first is <see cref="GlueTask.MainMetric"/>.</param>
public sealed record TaskScores(IReadOnlyList<(TaskMetric Metric, double Value)> Values)
{
    /// <summary>The value of the task's main metric (the one the best checkpoint is chosen by).</summary>
    public double Main => Values[0].Value;

    /// <summary>The value of one metric.</summary>
    public double this[TaskMetric metric] => Values.First(v => v.Metric == metric).Value;

    /// <summary>
    /// Scores model outputs against labels. <paramref name="outputs"/> holds num_labels values per example (logits, row
    /// after row); a classification prediction is the arg-max of its row, a regression prediction the single value.
    /// </summary>
    public static TaskScores Compute(GlueTask task, ReadOnlySpan<float> outputs, IReadOnlyList<float> labels)
    {
        int width = task.NumLabels;
        if (outputs.Length != labels.Count * width)
            throw new ArgumentException($"{outputs.Length} outputs for {labels.Count} examples of {width} value(s) each");
        if (task.IsRegression)
        {
            var predicted = outputs.ToArray().Select(v => (double)v).ToArray();
            var gold = labels.Select(v => (double)v).ToArray();
            return new TaskScores(task.Metrics.Select(m => (m, RegressionMetric(m, predicted, gold))).ToList());
        }
        var predictions = new int[labels.Count];
        for (int i = 0; i < predictions.Length; i++)
            predictions[i] = ArgMax(outputs.Slice(i * width, width));
        var classes = labels.Select(v => (int)v).ToArray();
        return new TaskScores(task.Metrics.Select(m => (m, ClassificationMetric(m, predictions, classes))).ToList());
    }

    /// <summary>"accuracy 0.8120, f1 0.8031": the scores for a log line.</summary>
    public override string ToString() => string.Join(", ", Values.Select(v => $"{Metrics.Key(v.Metric)} {v.Value:F4}"));

    private static double ClassificationMetric(TaskMetric metric, int[] predictions, int[] labels) => metric switch
    {
        TaskMetric.Accuracy => Metrics.Accuracy(predictions, labels),
        TaskMetric.F1 => Metrics.F1(predictions, labels),
        TaskMetric.MatthewsCorrelation => Metrics.MatthewsCorrelation(predictions, labels),
        _ => throw new ArgumentException($"{metric} needs a regression task"),
    };

    private static double RegressionMetric(TaskMetric metric, double[] predicted, double[] gold) => metric switch
    {
        TaskMetric.Pearson => Metrics.Pearson(predicted, gold),
        TaskMetric.Spearman => Metrics.Spearman(predicted, gold),
        _ => throw new ArgumentException($"{metric} needs a classification task"),
    };

    /// <summary>Index of the largest value (the first one on ties).</summary>
    private static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int k = 1; k < row.Length; k++)
            if (row[k] > row[best]) best = k;
        return best;
    }
}
