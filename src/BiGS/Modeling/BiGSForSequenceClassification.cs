using BiGS.Native.Autograd;
using BiGS.Native.Nn;
using BiGS.Native.Tensors;

namespace BiGS.Native.Modeling;

/// <summary>
/// Sentence (pair) classification or regression: classifier(dropout(pooled)). Loss by problem type:
/// regression (num_labels 1) MSE, single-label CE on integer labels, multi-label BCE-with-logits on float labels.
/// </summary>
public sealed class BiGSForSequenceClassification : BiGSPreTrainedModel
{
    /// <summary>Loads config and weights from a model directory (weights of other heads are ignored).</summary>
    public static BiGSForSequenceClassification FromPretrained(string directory) => Load(directory, config => new BiGSForSequenceClassification(config));

    /// <summary>Creates a randomly initialised model.</summary>
    public BiGSForSequenceClassification(BiGSConfig config, ulong seed = 0) : base(config, new Rng(seed))
    {
        Bigs = AddModule("bigs", new BiGSModel(config, Rng, addPooler: true));
        Dropout = AddModule("dropout", new Dropout(config.ClassifierDropout ?? config.HiddenDropoutProb, Rng));
        Classifier = AddModule("classifier", new Linear(config.HiddenSize, config.NumLabels, config.InitializerRange, Rng));
    }

    /// <summary>The encoder.</summary>
    public BiGSModel Bigs { get; }

    /// <summary>Dropout before the classifier.</summary>
    public Dropout Dropout { get; }

    /// <summary>The classifier (d -> num_labels).</summary>
    public Linear Classifier { get; }

    /// <inheritdoc />
    public override BiGSOutput Forward(BiGSInput input)
    {
        var encoded = Bigs.Forward(input);
        var logits = Classifier.Forward(Dropout.Forward(encoded.PoolerOutput!));
        return new BiGSOutput
        {
            LastHiddenState = encoded.LastHiddenState,
            HiddenStates = encoded.HiddenStates,
            PoolerOutput = encoded.PoolerOutput,
            Logits = logits,
            Loss = input.Labels is null ? null : ClassificationLoss.Compute(Config, logits, input.Labels),
        };
    }
}

/// <summary>The loss rules of Hugging Face sequence classification heads.</summary>
public static class ClassificationLoss
{
    /// <summary>Problem type from the config or, when unset, from num_labels and the labels' dtype.</summary>
    public static string ProblemType(BiGSConfig config, Tensor labels) =>
        config.ProblemType ?? (config.NumLabels == 1 ? "regression"
            : labels.DType == DType.Float32 ? "multi_label_classification"
            : "single_label_classification");

    /// <summary>MSE, CE or BCE-with-logits as the problem type says.</summary>
    public static Variable Compute(BiGSConfig config, Variable logits, Tensor labels)
    {
        var device = logits.Value.Device;
        switch (ProblemType(config, labels))
        {
            case "regression":
                var targets = AsFloat(labels).Reshape(logits.Value.ShapeArray()).To(device);
                return Ops.MseLoss(logits, targets);
            case "multi_label_classification":
                return Ops.BceWithLogitsLoss(logits, AsFloat(labels).To(device));
            default:
                CheckLabelRange(labels, config.NumLabels);
                return Ops.CrossEntropy(logits, labels);
        }
    }

    private static Tensor AsFloat(Tensor labels) =>
        labels.DType == DType.Float32 ? labels : Tensor.FromArray(labels.ToLongArray().Select(v => (float)v).ToArray(), labels.ShapeArray());

    private static void CheckLabelRange(Tensor labels, int numLabels)
    {
        var values = labels.ToLongArray();
        for (int i = 0; i < values.Length; i++)
            if (values[i] != -100 && (values[i] < 0 || values[i] >= numLabels))
                throw new ArgumentOutOfRangeException(nameof(labels), $"label {values[i]} at index {i} is outside [0, {numLabels})");
    }
}
