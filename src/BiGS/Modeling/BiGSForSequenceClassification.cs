using BiGS.Native.Autograd;
using BiGS.Native.Nn;
using BiGS.Native.Tensors;

namespace BiGS.Native.Modeling;

/// <summary>
/// The shape shared by the classifier heads: the encoder ("bigs"), dropout, and a Linear "classifier" from d to
/// <c>outFeatures</c> applied to the pooled vector or to every token.
/// </summary>
public abstract class BiGSClassifierModel : BiGSPreTrainedModel
{
    /// <summary>Builds the encoder (with or without pooler), the dropout and the classifier.</summary>
    protected BiGSClassifierModel(BiGSConfig config, ulong seed, bool pooled, int outFeatures) : base(config, new Rng(seed))
    {
        Bigs = AddModule("bigs", new BiGSModel(config, Rng, addPooler: pooled));
        Dropout = AddModule("dropout", new Dropout(config.ClassifierDropout ?? config.HiddenDropoutProb, Rng));
        Classifier = AddModule("classifier", new Linear(config.HiddenSize, outFeatures, config.InitializerRange, Rng));
    }

    /// <summary>The BiGS encoder under the classification head (its parameters are named "bigs.*").</summary>
    public BiGSModel Bigs { get; }

    /// <summary>Dropout before the classifier.</summary>
    public Dropout Dropout { get; }

    /// <summary>The classifier (d -> outputs).</summary>
    public Linear Classifier { get; }

    /// <summary>classifier(dropout(x)).</summary>
    protected Variable Classify(Variable x) => Classifier.Forward(Dropout.Forward(x));
}

/// <summary>
/// Sentence (pair) classification or regression: classifier(dropout(pooled)). Loss by problem type:
/// regression (num_labels 1) MSE, single-label CE on integer labels, multi-label BCE-with-logits on float labels.
/// </summary>
public sealed class BiGSForSequenceClassification : BiGSClassifierModel
{
    /// <summary>Loads config and weights from a model directory (weights of other heads are ignored).</summary>
    /// <param name="directory">A directory with config.json and model.safetensors or flax_model.msgpack.</param>
    /// <param name="progress">Receives the number of parameter values loaded so far (out of <see cref="Nn.Module.ParameterCount"/>).</param>
    /// <param name="cancellationToken">Checked between tensors.</param>
    public static BiGSForSequenceClassification FromPretrained(string directory, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        Load(directory, config => new BiGSForSequenceClassification(config), progress, cancellationToken);

    /// <summary>Creates a randomly initialised model.</summary>
    public BiGSForSequenceClassification(BiGSConfig config, ulong seed = 0) : base(config, seed, pooled: true, config.NumLabels) { }

    /// <inheritdoc />
    public override BiGSOutput Forward(BiGSInput input)
    {
        var encoded = Bigs.Forward(input);
        var logits = Classify(encoded.PoolerOutput!);
        return encoded with { Logits = logits, Loss = input.Labels is null ? null : ClassificationLoss.Compute(Config, logits, input.Labels) };
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
                return Ops.CrossEntropy(logits, labels); // the kernel rejects labels outside [0, num_labels)
        }
    }

    private static Tensor AsFloat(Tensor labels) =>
        labels.DType == DType.Float32 ? labels : Tensor.FromArray(labels.ToLongArray().Select(v => (float)v).ToArray(), labels.ShapeArray());
}
