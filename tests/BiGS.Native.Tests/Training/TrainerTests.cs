using BiGS.Native.Autograd;
using BiGS.Native.Data;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;
using BiGS.Native.Training;
using Xunit;

namespace BiGS.Native.Tests.Training;

public class TrainerTests : IDisposable
{
    private readonly TemporaryDirectory work = new();

    /// <inheritdoc />
    public void Dispose() => work.Dispose();

    private static readonly PretrainingCorpus Corpus = TrainingTestKit.Corpus();

    private static double[] Losses(TrainingResult result) => result.Log.Steps.Select(s => s.Loss).ToArray();

    [Fact]
    public void Resumed_run_repeats_the_uninterrupted_loss_sequence_exactly()
    {
        string straightDir = work.Subdirectory(), splitDir = work.Subdirectory();
        var options = new TrainerOptions { Steps = 6, OutputDirectory = straightDir, SaveEvery = 0 };
        var straight = TrainingTestKit.Create(Corpus, options).Trainer.Run();

        var first = TrainingTestKit.Create(Corpus, options with { Steps = 6, OutputDirectory = splitDir });
        using (var stopAfterThree = new CancellationTokenSource())
        {
            var progress = new InlineProgress<TrainingProgress>(p => { if (p.Event == TrainingEvent.Step && p.Step == 3) stopAfterThree.Cancel(); });
            var partial = first.Trainer.Run(progress, stopAfterThree.Token);
            Assert.True(partial.Cancelled);
            Assert.Equal(3, partial.Step);
        }
        var second = TrainingTestKit.Create(Corpus, options with { OutputDirectory = splitDir });
        second.Trainer.Resume(splitDir);
        Assert.Equal(3, second.Trainer.Step);
        var resumed = second.Trainer.Run();

        Assert.Equal(6, Losses(straight).Length);
        Assert.Equal(Losses(straight), Losses(resumed)); // bit for bit; the log reloads steps 1-3 from disk
        Assert.Equal(straight.Log.Steps.Select(s => s.LearningRate), resumed.Log.Steps.Select(s => s.LearningRate));
        Assert.Equal(6, File.ReadLines(Path.Combine(splitDir, MetricsLog.LogFile)).Count());
        Assert.True(File.Exists(Path.Combine(splitDir, MetricsLog.PlotFile)));
    }

    [Fact]
    public void Cancellation_saves_a_loadable_checkpoint()
    {
        string dir = work.Subdirectory();
        using var cancelled = new CancellationTokenSource();
        var (trainer, _) = TrainingTestKit.Create(Corpus, new TrainerOptions { Steps = 10, OutputDirectory = dir });
        var result = trainer.Run(new InlineProgress<TrainingProgress>(p => { if (p.Step == 2) cancelled.Cancel(); }), cancelled.Token);
        Assert.True(result.Cancelled);
        Assert.Equal(TrainingCheckpoint.DirectoryFor(Path.Combine(dir, Trainer.CheckpointFolder), 2), result.CheckpointPath);
        Assert.True(TrainingCheckpoint.IsComplete(result.CheckpointPath!));
        var loaded = BiGSForMaskedLM.FromPretrained(result.CheckpointPath!);
        Assert.Equal(TrainingTestKit.Config().HiddenSize, loaded.Config.HiddenSize);
    }

    [Fact]
    public void A_failed_checkpoint_write_leaves_the_previous_checkpoint_loadable()
    {
        string dir = work.Subdirectory();
        string root = Path.Combine(dir, Trainer.CheckpointFolder);
        // the step-4 save fails after the model and optimizer files are written, as if the disk filled up
        var (trainer, _) = TrainingTestKit.Create(Corpus, new TrainerOptions { Steps = 4, SaveEvery = 2, OutputDirectory = dir },
            wrapSource: source => new DiskFullOnSecondSave(source));
        var error = Assert.Throws<IOException>(() => trainer.Run());
        Assert.Contains("No space left", error.Message);
        Assert.False(Directory.Exists(TrainingCheckpoint.DirectoryFor(root, 4)));   // it was written under a temporary name

        string latest = TrainingCheckpoint.FindLatest(dir);
        Assert.Equal(TrainingCheckpoint.DirectoryFor(root, 2), latest);
        var (resumed, _) = TrainingTestKit.Create(Corpus, new TrainerOptions { Steps = 4, OutputDirectory = work.Subdirectory() });
        resumed.Resume(dir);
        Assert.Equal(2, resumed.Step);

        // the next session in the run directory deletes the partial step-4 directory the failed save left
        Assert.Single(Directory.GetDirectories(root), d => Path.GetFileName(d).Contains("step-000004"));
        RunDirectory.Open(dir, "training");
        Assert.Equal([TrainingCheckpoint.DirectoryFor(root, 2)], Directory.GetDirectories(root));
    }

    [Fact]
    public void Accumulating_two_half_batches_equals_one_full_batch()
    {
        var corpus = TrainingTestKit.Corpus();
        var big = TrainingTestKit.Create(corpus, new TrainerOptions { Steps = 2, GradientClipNorm = null }, batchSize: 4, dropout: 0f);
        var small = TrainingTestKit.Create(corpus, new TrainerOptions { Steps = 2, GradientClipNorm = null, AccumulationSteps = 2 }, batchSize: 2, dropout: 0f);
        var bigResult = big.Trainer.Run();
        var smallResult = small.Trainer.Run();
        // the half-batch source sees the same sequences in the same order but masks them with the same draws,
        // so the two updates must agree up to float summation order
        for (int i = 0; i < 2; i++) Assert.Equal(bigResult.Log.Steps[i].Loss, smallResult.Log.Steps[i].Loss, 5);
        var bigParams = big.Model.NamedParameters().ToList();
        var smallParams = small.Model.NamedParameters().ToList();
        for (int i = 0; i < bigParams.Count; i++)
            TestData.AssertClose(bigParams[i].Parameter.Value.ToArray(), smallParams[i].Parameter.Value.ToArray(), 2e-5, 1e-4, bigParams[i].Name);
    }

    [Fact]
    public void Masked_row_objective_matches_the_full_model_loss_and_gradients()
    {
        var model = new BiGSForMaskedLM(TrainingTestKit.Config(dropout: 0f), seed: 9);
        var batch = TrainingTestKit.Source(Corpus, 3).Next();
        var full = model.Forward(batch).Loss!;
        full.Backward();
        var expected = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToArray());
        model.ZeroGrad();
        var result = new MaskedLanguageModelingObjective().Compute(model, batch);
        result.Loss.Backward();
        Assert.Equal(full.Value.Item(), result.Loss.Value.Item(), 5);
        Assert.Equal(PredictionAccuracy.CountTargets(batch.Labels!), result.Targets);
        foreach (var (name, parameter) in model.NamedParameters())
            TestData.AssertClose(expected[name], parameter.Grad!.ToArray(), 1e-6, 1e-4, name);
    }

    [Fact]
    public void Evaluation_reports_loss_accuracy_and_perplexity()
    {
        var model = new BiGSForMaskedLM(TrainingTestKit.Config(), seed: 1);
        model.Eval();
        var masking = new MlmMasking(TrainingTestKit.Tokenizer, 3);
        var batches = MaskedLmBatchSource.EvaluationBatches(Corpus.HeldOut, masking, TrainingTestKit.Tokenizer.PadId, 2, 5);
        using var noGrad = GradMode.NoGrad();
        var metrics = Evaluation.Run(model, new MaskedLanguageModelingObjective(), batches);
        // an untrained model is close to uniform over the vocabulary: loss ~ ln V
        Assert.InRange(metrics["loss"], Math.Log(TrainingTestKit.Tokenizer.VocabSize) - 0.5, Math.Log(TrainingTestKit.Tokenizer.VocabSize) + 0.5);
        Assert.Equal(Math.Exp(metrics["loss"]), metrics["perplexity"], 9);
        Assert.InRange(metrics["accuracy"], 0, 1);
    }

    [Fact]
    public void Accuracy_counts_arg_max_hits_and_skips_ignored_rows()
    {
        var logits = Tensor.FromArray([0.1f, 2f, 0.3f, /**/ 5f, 1f, 1f, /**/ 0f, 0f, 9f], 3, 3);
        Assert.Equal(1, PredictionAccuracy.CountCorrect(logits, Tensor.FromInts([1, 2, -100], 3)));
        Assert.Equal(2, PredictionAccuracy.CountTargets(Tensor.FromInts([1, 2, -100], 3)));
    }

    /// <summary>A data source whose state cannot be saved the second time: the checkpoint fails before its commit marker.</summary>
    private sealed class DiskFullOnSecondSave(IBatchSource inner) : IBatchSource
    {
        private int saves;

        public BiGSInput Next() => inner.Next();

        public System.Text.Json.Nodes.JsonObject GetState() =>
            ++saves == 2 ? throw new IOException("No space left on device") : inner.GetState();

        public void SetState(System.Text.Json.Nodes.JsonObject state) => inner.SetState(state);
    }
}
