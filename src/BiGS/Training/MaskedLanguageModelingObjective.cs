using BiGS.Native.Autograd;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;

namespace BiGS.Native.Training;

/// <summary>
/// Masked-LM loss computed only where it counts: the encoder runs on the whole batch, then the rows of the last
/// hidden state at labelled positions (label != -100) are gathered, h_m = H[(b, l)] for each masked (b, l), and only
/// those M rows go through the MLM head and its (d x V) vocabulary projection. The loss, mean CE over the masked
/// tokens, equals <see cref="BiGSForMaskedLM.Forward"/>'s, and so do the gradients (the gather's backward
/// scatters dL/dh_m back to its rows, zero elsewhere), at about M/(B L) of the head's cost.
/// A batch with next-sentence labels (and a <see cref="BiGSForPreTraining"/>) adds BERT's second objective:
/// L = L_MLM + CE(seq_relationship(pooled), next_sentence_label), as <see cref="BiGSForPreTraining.Forward"/> does.
/// </summary>
public sealed class MaskedLanguageModelingObjective : ITrainingObjective
{
    /// <inheritdoc />
    public ObjectiveResult Compute(BiGSPreTrainedModel model, BiGSInput batch)
    {
        var heads = model as BiGSPreTrainingHeadModel is { Cls.Predictions: not null } withMlmHead ? withMlmHead
            : throw new ArgumentException($"masked-LM training needs a {nameof(BiGSForMaskedLM)} or {nameof(BiGSForPreTraining)}, got {model.GetType().Name}");
        var labels = batch.Labels ?? throw new ArgumentException("a masked-LM batch needs labels");
        var (positionsThenTargets, count) = MaskedPositions(labels);
        if (count == 0) throw new ArgumentException("a masked-LM batch has no masked token (every label is -100)");
        var (positionIds, targetIds) = OnDevice(positionsThenTargets, count, heads.Device);
        var encoded = heads.Bigs.Forward(batch with { Labels = null, NextSentenceLabel = null });
        var logits = LogitsAt(heads, encoded.LastHiddenState, positionIds);
        // The correct count below is computed from the logits now (before any backward), so the gradient may take their memory.
        var maskedLmLoss = Ops.CrossEntropy(logits, targetIds, gradientOverLogits: true);
        var maskedLm = new ObjectiveResult(maskedLmLoss, count, PredictionAccuracy.CorrectCount(logits.Value, targetIds));
        return batch.NextSentenceLabel is { } nextLabels ? WithNextSentence(heads, encoded, maskedLm, nextLabels) : maskedLm;
    }

    /// <summary>
    /// MLM logits (M, V) at the given flat positions b*L + l only (strictly increasing): the encoder's last hidden
    /// state, its rows at those positions, then the MLM head. Labels in <paramref name="input"/> are ignored.
    /// </summary>
    public static Variable LogitsAt(BiGSPreTrainingHeadModel model, BiGSInput input, int[] flatPositions) =>
        LogitsAt(model, model.Bigs.Forward(input with { Labels = null, NextSentenceLabel = null }).LastHiddenState,
            Tensor.FromInts(flatPositions, flatPositions.Length));

    private static Variable LogitsAt(BiGSPreTrainingHeadModel model, Variable hidden, Tensor flatPositions)
    {
        var predictions = model.Cls.Predictions ?? throw new ArgumentException($"{model.GetType().Name} has no masked-LM head");
        int width = hidden.Shape[^1];
        return predictions.Forward(Ops.SelectIncreasingRows(Ops.Reshape(hidden, -1, width), flatPositions));
    }

    /// <summary>
    /// The masked positions and their targets on the model's device by one copy (one buffer, two views), made before
    /// the forward so that on a GPU it waits for no kernel; the gather, the loss and its backward read them there.
    /// </summary>
    private static (Tensor Positions, Tensor Targets) OnDevice(int[] positionsThenTargets, int count, Device device)
    {
        var both = Tensor.FromInts(positionsThenTargets, 2 * count).To(device);
        return (both.Slice(0, 0, count), both.Slice(0, count, count));
    }

    /// <summary>Adds the next-sentence loss of the pooled output to the masked-LM result.</summary>
    private static ObjectiveResult WithNextSentence(BiGSPreTrainingHeadModel model, BiGSOutput encoded, ObjectiveResult maskedLm, Tensor nextLabels)
    {
        var classifier = model.Cls.SeqRelationship
            ?? throw new ArgumentException($"next-sentence labels need a {nameof(BiGSForPreTraining)}, got {model.GetType().Name}");
        var nextLogits = classifier.Forward(encoded.PoolerOutput!);
        var loss = Ops.Add(maskedLm.Loss, Ops.CrossEntropy(nextLogits, nextLabels));
        return maskedLm with
        {
            Loss = loss,
            NextSentence = new NextSentenceCounts(maskedLm.Loss.Value, nextLabels.Length, PredictionAccuracy.CorrectCount(nextLogits.Value, nextLabels)),
        };
    }

    /// <inheritdoc />
    public int CountTargets(BiGSInput batch) =>
        PredictionAccuracy.CountTargets(batch.Labels ?? throw new ArgumentException("a masked-LM batch needs labels"));

    /// <summary>
    /// The flat indices b*L + l of the labelled positions, in order, then their labels, in one array (the one copy
    /// <see cref="OnDevice"/> sends), and how many there are.
    /// </summary>
    private static (int[] PositionsThenTargets, int Count) MaskedPositions(Tensor labels)
    {
        int[] flat = labels.ToIntArray();
        int count = flat.Count(label => label != PredictionAccuracy.IgnoreIndex);
        var positionsThenTargets = new int[2 * count];
        for (int i = 0, m = 0; i < flat.Length; i++)
        {
            if (flat[i] == PredictionAccuracy.IgnoreIndex) continue;
            positionsThenTargets[m] = i;
            positionsThenTargets[count + m++] = flat[i];
        }
        return (positionsThenTargets, count);
    }
}
