using BiGS.Native.Autograd;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;

namespace BiGS.Native.Tasks;

/// <summary>A model's outputs on labelled examples and its mean loss on them.</summary>
/// <param name="Outputs">num_labels values per example (logits, or the regression score), row after row.</param>
/// <param name="Loss">Mean loss per example (cross-entropy, or squared error for regression).</param>
public sealed record TaskPredictions(float[] Outputs, double Loss);

/// <summary>A task's metrics on one split together with the mean loss there.</summary>
/// <param name="Scores">The task's metrics.</param>
/// <param name="Loss">Mean loss per example.</param>
public sealed record TaskEvaluationResult(TaskScores Scores, double Loss)
{
    /// <summary>"loss" then every metric by its <see cref="Metrics.Key"/>, as metric logs record them.</summary>
    public IReadOnlyDictionary<string, double> ToDictionary()
    {
        var values = new Dictionary<string, double> { ["loss"] = Loss };
        foreach (var (metric, value) in Scores.Values) values[Metrics.Key(metric)] = value;
        return values;
    }
}

/// <summary>Runs a sequence-classification model over task examples and scores its predictions.</summary>
public static class TaskEvaluation
{
    /// <summary>
    /// The model's outputs and mean loss, computed in batches in evaluation mode without recording gradients, each
    /// batch's intermediates released once its logits are copied out. The model's training/evaluation mode is
    /// restored afterwards. <paramref name="progress"/> receives the number of examples done after each batch.
    /// </summary>
    public static TaskPredictions Predict(BiGSPreTrainedModel model, TaskEncoder encoder, IReadOnlyList<EncodedExample> examples,
        bool regression, int batchSize, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be at least 1");
        if (examples.Count == 0) throw new ArgumentException("no examples to run the model on");
        int width = model.Config.NumLabels;
        var outputs = new float[examples.Count * width];
        double lossSum = 0;
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            using var noGrad = GradMode.NoGrad();
            for (int start = 0; start < examples.Count; start += batchSize)
            {
                cancellation.ThrowIfCancellationRequested();
                int count = Math.Min(batchSize, examples.Count - start);
                using (new TensorScope())
                {
                    var output = model.Forward(encoder.Collate(Slice(examples, start, count), regression, withLabels: true));
                    var logits = output.Logits ?? throw new InvalidOperationException($"{model.GetType().Name} produces no logits");
                    logits.Value.ToArray().CopyTo(outputs, start * width);
                    lossSum += (double)output.Loss!.Value.Item() * count;   // the batch loss is a mean over its examples
                }
                progress?.Report(start + count);
            }
        }
        finally
        {
            model.Train(wasTraining);
        }
        return new TaskPredictions(outputs, lossSum / examples.Count);
    }

    /// <summary>Predicts and scores examples with the task's metrics.</summary>
    public static TaskEvaluationResult Evaluate(BiGSPreTrainedModel model, GlueTask task, TaskEncoder encoder, IReadOnlyList<EncodedExample> examples,
        int batchSize, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        if (model.Config.NumLabels != task.NumLabels)
            throw new ArgumentException($"the model has {model.Config.NumLabels} output(s) (num_labels) but task '{task.Name}' needs {task.NumLabels}");
        var predictions = Predict(model, encoder, examples, task.IsRegression, batchSize, progress, cancellation);
        var scores = TaskScores.Compute(task, predictions.Outputs, examples.Select(e => e.Label).ToArray());
        return new TaskEvaluationResult(scores, predictions.Loss);
    }

    /// <summary>Items <paramref name="start"/> … start + count - 1 (a batch).</summary>
    private static T[] Slice<T>(IReadOnlyList<T> items, int start, int count)
    {
        var slice = new T[count];
        for (int i = 0; i < count; i++) slice[i] = items[start + i];
        return slice;
    }
}
