using BiGS.Native.Modeling;

namespace BiGS.Native.Tasks;

/// <summary>A classification model ready for a task, and how its head was obtained.</summary>
/// <param name="Model">The model (evaluation mode).</param>
/// <param name="HeadNote">Null when the checkpoint's classifier was loaded as is; otherwise why the head is new.</param>
public sealed record TaskModel(BiGSForSequenceClassification Model, string? HeadNote);

/// <summary>Loads sequence-classification models for a task from checkpoints of any BiGS head.</summary>
public static class TaskModels
{
    private const string ClassifierPrefix = "classifier.";

    /// <summary>
    /// A model to fine-tune on <paramref name="task"/>: the checkpoint's encoder and, when it is a classifier with
    /// the task's number of outputs, its classifier; otherwise a classifier newly initialised from
    /// <paramref name="seed"/> (from an MLM/pretraining checkpoint, or from one fine-tuned on another task, as the
    /// authors start MRPC, STS-B and RTE from MNLI). The config takes the task's labels and problem type.
    /// </summary>
    public static TaskModel ForFineTuning(string modelDirectory, GlueTask task, ulong seed)
    {
        var config = BiGSConfig.Load(modelDirectory);
        bool isClassifier = config.Architectures.Contains(nameof(BiGSForSequenceClassification));
        int checkpointLabels = config.NumLabels;
        ApplyTask(config, task);
        if (isClassifier && checkpointLabels != task.NumLabels)
        {
            var source = BiGSForSequenceClassification.FromPretrained(modelDirectory);
            var target = new BiGSForSequenceClassification(config, seed);
            CopyEncoder(source, target);
            return new TaskModel(target, $"classifier newly initialised: the checkpoint's has {checkpointLabels} outputs, task '{task.Name}' needs {task.NumLabels}");
        }
        var model = PretrainedLoader.Load(modelDirectory, _ => new BiGSForSequenceClassification(config, seed));
        var fresh = model.LoadReport!.NewlyInitialized;
        return new TaskModel(model, fresh.Count == 0 ? null : $"newly initialised (not in the checkpoint): {string.Join(", ", fresh)}");
    }

    /// <summary>
    /// A fine-tuned model to evaluate on <paramref name="task"/>: it must hold a trained classifier with the task's
    /// number of outputs. A custom task without labels takes them from the config's id2label.
    /// </summary>
    public static (BiGSForSequenceClassification Model, GlueTask Task) ForEvaluation(string modelDirectory, GlueTask task)
    {
        var model = BiGSForSequenceClassification.FromPretrained(modelDirectory);
        if (model.LoadReport!.NewlyInitialized.Any(n => n.StartsWith(ClassifierPrefix, StringComparison.Ordinal)))
            throw new ArgumentException($"{modelDirectory} has no trained classifier (it holds {string.Join(", ", model.Config.Architectures.DefaultIfEmpty("an encoder"))}); fine-tune it first with 'bigs finetune'");
        if (task.Name == GlueTasks.CustomName && !task.IsRegression && task.Labels is null)
            task = task with { Labels = [.. model.Config.Id2Label.OrderBy(p => p.Key).Select(p => p.Value)] };
        if (model.Config.NumLabels != task.NumLabels)
            throw new ArgumentException($"the model in {modelDirectory} has {model.Config.NumLabels} output(s) (num_labels) but task '{task.Name}' needs {task.NumLabels}");
        return (model, task);
    }

    /// <summary>Sets num_labels, id2label and the problem type from the task.</summary>
    private static void ApplyTask(BiGSConfig config, GlueTask task)
    {
        config.NumLabels = task.NumLabels;
        config.ProblemType = task.IsRegression ? "regression" : "single_label_classification";
        config.Id2Label = task.IsRegression
            ? new Dictionary<int, string> { [0] = "LABEL_0" }
            : task.Labels!.Select((label, id) => (label, id)).ToDictionary(p => p.id, p => p.label);
    }

    /// <summary>Copies every parameter but the classifier's (same names, same shapes).</summary>
    private static void CopyEncoder(BiGSForSequenceClassification source, BiGSForSequenceClassification target)
    {
        var sourceParameters = source.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (name, parameter) in target.NamedParameters())
            if (!name.StartsWith(ClassifierPrefix, StringComparison.Ordinal))
                parameter.Assign(sourceParameters[name].Value);
    }
}
