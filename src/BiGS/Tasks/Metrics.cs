namespace BiGS.Native.Tasks;

/// <summary>The scores GLUE reports.</summary>
public enum TaskMetric
{
    /// <summary>Fraction of predictions equal to the label.</summary>
    Accuracy,

    /// <summary>F1 of the positive class (id 1).</summary>
    F1,

    /// <summary>Matthews correlation coefficient (CoLA).</summary>
    MatthewsCorrelation,

    /// <summary>Pearson correlation of predicted and gold scores (STS-B).</summary>
    Pearson,

    /// <summary>Spearman rank correlation, ties given their average rank (STS-B).</summary>
    Spearman,
}

/// <summary>
/// Classification and regression metrics in double precision. Undefined cases follow scikit-learn / SciPy: F1 and
/// Matthews are 0 when their denominator is 0; a correlation with a constant input is NaN.
/// </summary>
public static class Metrics
{
    /// <summary>The name a metric has in JSON output and metric logs.</summary>
    public static string Key(TaskMetric metric) => metric switch
    {
        TaskMetric.Accuracy => "accuracy",
        TaskMetric.F1 => "f1",
        TaskMetric.MatthewsCorrelation => "matthews_correlation",
        TaskMetric.Pearson => "pearson",
        TaskMetric.Spearman => "spearman",
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, null),
    };

    /// <summary>accuracy = #(prediction == label) / n.</summary>
    public static double Accuracy(IReadOnlyList<int> predictions, IReadOnlyList<int> labels)
    {
        CheckLengths(predictions.Count, labels.Count);
        int correct = 0;
        for (int i = 0; i < labels.Count; i++)
            if (predictions[i] == labels[i]) correct++;
        return (double)correct / labels.Count;
    }

    /// <summary>F1 of class <paramref name="positive"/>: 2 TP / (2 TP + FP + FN).</summary>
    public static double F1(IReadOnlyList<int> predictions, IReadOnlyList<int> labels, int positive = 1)
    {
        CheckLengths(predictions.Count, labels.Count);
        int truePositive = 0, falsePositive = 0, falseNegative = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            bool predicted = predictions[i] == positive, actual = labels[i] == positive;
            if (predicted && actual) truePositive++;
            else if (predicted) falsePositive++;
            else if (actual) falseNegative++;
        }
        int denominator = 2 * truePositive + falsePositive + falseNegative;
        return denominator == 0 ? 0 : 2.0 * truePositive / denominator;
    }

    /// <summary>
    /// Matthews correlation for any number of classes (Gorodkin's R_K, which is the usual binary MCC for two):
    /// with s samples, c correct, p_k predictions and t_k labels of class k,
    /// MCC = (c s - Σ p_k t_k) / sqrt((s² - Σ p_k²)(s² - Σ t_k²)).
    /// </summary>
    public static double MatthewsCorrelation(IReadOnlyList<int> predictions, IReadOnlyList<int> labels)
    {
        CheckLengths(predictions.Count, labels.Count);
        var predictedCounts = new Dictionary<int, double>();
        var labelCounts = new Dictionary<int, double>();
        double correct = 0, samples = labels.Count;
        for (int i = 0; i < labels.Count; i++)
        {
            predictedCounts[predictions[i]] = predictedCounts.GetValueOrDefault(predictions[i]) + 1;
            labelCounts[labels[i]] = labelCounts.GetValueOrDefault(labels[i]) + 1;
            if (predictions[i] == labels[i]) correct++;
        }
        double agreement = predictedCounts.Sum(p => p.Value * labelCounts.GetValueOrDefault(p.Key));
        double predictedSpread = samples * samples - predictedCounts.Values.Sum(p => p * p);
        double labelSpread = samples * samples - labelCounts.Values.Sum(t => t * t);
        double denominator = Math.Sqrt(predictedSpread * labelSpread);
        return denominator == 0 ? 0 : (correct * samples - agreement) / denominator;
    }

    /// <summary>Pearson r = Σ (x - x̄)(y - ȳ) / sqrt(Σ (x - x̄)² Σ (y - ȳ)²).</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckLengths(x.Count, y.Count);
        double meanX = x.Average(), meanY = y.Average();
        double covariance = 0, varianceX = 0, varianceY = 0;
        for (int i = 0; i < x.Count; i++)
        {
            double dx = x[i] - meanX, dy = y[i] - meanY;
            covariance += dx * dy;
            varianceX += dx * dx;
            varianceY += dy * dy;
        }
        return covariance / Math.Sqrt(varianceX * varianceY);
    }

    /// <summary>Spearman ρ: the Pearson correlation of the ranks, tied values sharing their average rank.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckLengths(x.Count, y.Count);
        return Pearson(AverageRanks(x), AverageRanks(y));
    }

    /// <summary>1-based ranks; a run of equal values gets the mean of the ranks it spans (e.g. 2, 3 → 2.5 each).</summary>
    public static double[] AverageRanks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (int start = 0; start < order.Length;)
        {
            int end = start + 1;
            while (end < order.Length && values[order[end]] == values[order[start]]) end++;
            double averageRank = (start + 1 + end) / 2.0;   // mean of the ranks start+1 … end
            for (int k = start; k < end; k++) ranks[order[k]] = averageRank;
            start = end;
        }
        return ranks;
    }

    private static void CheckLengths(int predictions, int labels)
    {
        if (predictions != labels) throw new ArgumentException($"{predictions} predictions but {labels} labels");
        if (labels == 0) throw new ArgumentException("no examples to score");
    }
}
