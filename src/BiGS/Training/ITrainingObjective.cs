using BiGS.Native.Autograd;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;

namespace BiGS.Native.Training;

/// <summary>A batch's loss with the counts behind its accuracy.</summary>
/// <param name="Loss">Mean loss over the batch's targets (a scalar).</param>
/// <param name="Targets">Number of predictions the loss averages (labelled tokens, or examples).</param>
/// <param name="Correct">
/// Predictions whose arg-max is the label, a one-element tensor on the model's device (read it with
/// <see cref="Tensor.Item"/>; a training step never does); null for regression.
/// </param>
public sealed record ObjectiveResult(Variable Loss, int Targets, Tensor? Correct)
{
    /// <summary>The next-sentence part of a pretraining loss, or null when the objective has none.</summary>
    public NextSentenceCounts? NextSentence { get; init; }
}

/// <summary>The parts of a masked-LM + next-sentence loss.</summary>
/// <param name="MaskedLmLoss">The masked-LM loss alone (the total minus the next-sentence CE), one element on the device.</param>
/// <param name="Pairs">Sentence pairs in the batch.</param>
/// <param name="Correct">Pairs whose arg-max next-sentence prediction is the label, one element on the device.</param>
public sealed record NextSentenceCounts(Tensor MaskedLmLoss, int Pairs, Tensor Correct);

/// <summary>What a <see cref="Trainer"/> minimises: the loss of a model on a labelled batch.</summary>
public interface ITrainingObjective
{
    /// <summary>Runs the model on a batch and returns its mean loss and accuracy counts.</summary>
    ObjectiveResult Compute(BiGSPreTrainedModel model, BiGSInput batch);

    /// <summary>The number of targets <see cref="Compute"/> will average over, known from the labels alone.</summary>
    int CountTargets(BiGSInput batch);
}

/// <summary>
/// The model's own loss (<see cref="BiGSOutput.Loss"/>) and arg-max accuracy of its logits: sequence classification,
/// regression, or masked LM computed over every position.
/// </summary>
public sealed class ModelLossObjective : ITrainingObjective
{
    /// <inheritdoc />
    public ObjectiveResult Compute(BiGSPreTrainedModel model, BiGSInput batch)
    {
        var labels = batch.Labels ?? throw new ArgumentException("a training batch needs labels");
        var output = model.Forward(batch);
        var loss = output.Loss ?? throw new InvalidOperationException($"{model.GetType().Name} returned no loss for these labels");
        var correct = output.Logits is { } logits && labels.DType != DType.Float32 ? PredictionAccuracy.CorrectCount(logits.Value, labels) : null;
        return new ObjectiveResult(loss, PredictionAccuracy.CountTargets(labels), correct);
    }

    /// <inheritdoc />
    public int CountTargets(BiGSInput batch) =>
        PredictionAccuracy.CountTargets(batch.Labels ?? throw new ArgumentException("a training batch needs labels"));
}

/// <summary>Counting labelled targets and arg-max hits.</summary>
public static class PredictionAccuracy
{
    /// <summary>The label value that marks a position without a target.</summary>
    public const int IgnoreIndex = -100;

    /// <summary>Integer labels: how many are not <see cref="IgnoreIndex"/>; float labels (regression): all of them.</summary>
    public static int CountTargets(Tensor labels) =>
        labels.DType == DType.Float32 ? labels.Length : labels.ToIntArray().Count(l => l != IgnoreIndex);

    /// <summary>
    /// Rows of <paramref name="logits"/> (..., C) whose largest logit is at the integer label (ties count as hits);
    /// rows labelled <see cref="IgnoreIndex"/> are skipped. Float labels (regression) have no hits.
    /// </summary>
    public static int CountCorrect(Tensor logits, Tensor labels)
    {
        if (labels.DType == DType.Float32) return 0;
        using var scope = new TensorScope();
        return (int)CorrectCount(logits, labels).Item();
    }

    /// <summary>
    /// <see cref="CountCorrect"/> for integer labels, as a one-element tensor on the logits' device: counted there,
    /// nothing read back.
    /// </summary>
    public static Tensor CorrectCount(Tensor logits, Tensor labels) => Tensor.ArgMaxHits(logits, labels).SumAll();
}
