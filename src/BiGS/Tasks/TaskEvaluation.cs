using BiGS.Native.Autograd;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;

namespace BiGS.Native.Tasks;

/// <summary>Runs a sequence-classification model over task examples and scores its predictions.</summary>
public static class TaskEvaluation
{
    /// <summary>
    /// The model's outputs (num_labels values per example, row after row), computed in batches in evaluation mode
    /// without recording gradients, each batch's intermediates released as soon as its logits are copied out.
    /// The model's training/evaluation mode is restored afterwards. <paramref name="progress"/> receives the number
    /// of examples done after each batch.
    /// </summary>
    public static float[] Predict(BiGSPreTrainedModel model, TaskEncoder encoder, IReadOnlyList<EncodedExample> examples,
        int batchSize, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be at least 1");
        int width = model.Config.NumLabels;
        var outputs = new float[examples.Count * width];
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
                    var batch = encoder.Collate(Slice(examples, start, count), regression: false, withLabels: false);
                    var logits = model.Forward(batch).Logits ?? throw new InvalidOperationException($"{model.GetType().Name} produces no logits");
                    logits.Value.ToArray().CopyTo(outputs, start * width);
                }
                progress?.Report(start + count);
            }
        }
        finally
        {
            model.Train(wasTraining);
        }
        return outputs;
    }

    /// <summary>Predicts and scores examples with the task's metrics.</summary>
    public static TaskScores Evaluate(BiGSPreTrainedModel model, GlueTask task, TaskEncoder encoder, IReadOnlyList<EncodedExample> examples,
        int batchSize, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        if (model.Config.NumLabels != task.NumLabels)
            throw new ArgumentException($"the model has {model.Config.NumLabels} output(s) (num_labels) but task '{task.Name}' needs {task.NumLabels}");
        var outputs = Predict(model, encoder, examples, batchSize, progress, cancellation);
        return TaskScores.Compute(task, outputs, examples.Select(e => e.Label).ToArray());
    }

    /// <summary>Items <paramref name="start"/> … start + count - 1 (a batch).</summary>
    internal static T[] Slice<T>(IReadOnlyList<T> items, int start, int count)
    {
        var slice = new T[count];
        for (int i = 0; i < count; i++) slice[i] = items[start + i];
        return slice;
    }
}
