using BiGS.Native.Modeling;
using BiGS.Native.Tensors;

namespace BiGS.Native.Training;

/// <summary>Held-out metrics of an objective: mean loss, accuracy and perplexity exp(loss).</summary>
public static class Evaluation
{
    /// <summary>
    /// Runs the objective on every batch (call with gradients off and the model in evaluation mode, as
    /// <see cref="Trainer.Evaluate"/> does) and returns "loss" (mean over all targets), "accuracy" and "perplexity".
    /// </summary>
    public static IReadOnlyDictionary<string, double> Run(BiGSPreTrainedModel model, ITrainingObjective objective, IEnumerable<BiGSInput> batches)
    {
        double lossSum = 0;
        long targets = 0, correct = 0;
        foreach (var batch in batches)
        {
            using var scope = new TensorScope();
            var result = objective.Compute(model, batch);
            lossSum += (double)result.Loss.Value.Item() * result.Targets;
            targets += result.Targets;
            correct += result.Correct;
        }
        if (targets == 0) throw new InvalidOperationException("the evaluation batches have no labelled targets");
        double loss = lossSum / targets;
        return new Dictionary<string, double>
        {
            ["loss"] = loss,
            ["accuracy"] = (double)correct / targets,
            ["perplexity"] = Math.Exp(loss),
        };
    }
}
