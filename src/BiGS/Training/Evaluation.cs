using BiGS.Native.Modeling;
using BiGS.Native.Tensors;

namespace BiGS.Native.Training;

/// <summary>
/// Held-out metrics of an objective: mean loss, accuracy and perplexity exp(loss); for masked-LM + next-sentence
/// pretraining the loss is the masked-LM part (comparable with masked-LM-only runs) and the next-sentence accuracy
/// is added.
/// </summary>
public static class Evaluation
{
    /// <summary>
    /// Runs the objective on every batch (call with gradients off and the model in evaluation mode, as
    /// <see cref="Trainer.Evaluate"/> does) and returns "loss" (mean over all targets), "accuracy", "perplexity" and, with next-sentence labels, "next_sentence_accuracy".
    /// </summary>
    public static IReadOnlyDictionary<string, double> Run(BiGSPreTrainedModel model, ITrainingObjective objective, IEnumerable<BiGSInput> batches)
    {
        double lossSum = 0;
        long targets = 0, correct = 0, pairs = 0, pairsCorrect = 0;
        foreach (var batch in batches)
        {
            using var scope = new TensorScope();
            var result = objective.Compute(model, batch);
            lossSum += (result.NextSentence?.MaskedLmLoss ?? result.Loss.Value).Item() * (double)result.Targets;
            targets += result.Targets;
            correct += (long)(result.Correct?.Item() ?? 0f);
            pairs += result.NextSentence?.Pairs ?? 0;
            pairsCorrect += (long)(result.NextSentence?.Correct.Item() ?? 0f);
        }
        if (targets == 0) throw new InvalidOperationException("the evaluation batches have no labelled targets");
        double loss = lossSum / targets;
        var metrics = new Dictionary<string, double>
        {
            ["loss"] = loss,
            ["accuracy"] = (double)correct / targets,
            ["perplexity"] = Math.Exp(loss),
        };
        if (pairs > 0) metrics["next_sentence_accuracy"] = (double)pairsCorrect / pairs;
        return metrics;
    }
}
