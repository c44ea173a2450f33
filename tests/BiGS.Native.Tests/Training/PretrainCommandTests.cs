using BiGS.Native.Tests.Cli;
using BiGS.Native.Modeling;
using BiGS.Native.Tasks;
using BiGS.Native.Training;
using Xunit;

namespace BiGS.Native.Tests.Training;

/// <summary>Runs <c>bigs pretrain</c> in-process on a tiny model with the console redirected (plain progress lines).</summary>
[Collection("Console")]
public class PretrainCommandTests : IDisposable
{
    private readonly TemporaryDirectory work = new();

    /// <inheritdoc />
    public void Dispose() => work.Dispose();

    private static (int ExitCode, string Output, string Error) Run(params string[] args) => CliRunner.Run(args);

    private TinyPretrainInputs TinyInputs() => TinyPretrainInputs.Create(work);

    private static string[] TinyArgs(TinyPretrainInputs inputs, string output, int steps) => inputs.Args(output, steps);

    [Fact]
    public void Three_steps_write_checkpoint_log_and_plot_then_resume_continues()
    {
        var inputs = TinyInputs();
        string output = Path.Combine(inputs.Root, "run");
        var (exit, stdout, stderr) = Run(TinyArgs(inputs, output, 3));
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("step 3/3", stdout);
        Assert.Contains("fill-mask (top 5):", stdout);
        string checkpoint = TrainingCheckpoint.DirectoryFor(Path.Combine(output, Trainer.CheckpointFolder), 3);
        Assert.True(TrainingCheckpoint.IsComplete(checkpoint));
        Assert.Equal(File.ReadAllText(inputs.Vocab), File.ReadAllText(Path.Combine(checkpoint, ModelTokenizer.VocabFile)));
        Assert.Contains(checkpoint, stdout);
        var log = File.ReadAllLines(Path.Combine(output, MetricsLog.LogFile));
        Assert.Equal(3, log.Count(l => l.Contains("\"loss\"") && !l.Contains("\"eval\"")));
        Assert.Contains(log, l => l.Contains("\"eval\""));
        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(output, MetricsLog.PlotFile)));

        // without --vocab the resumed run tokenises with the checkpoint's own vocab.txt (the embedded one would not fit the model)
        string[] withoutVocab = [.. TinyArgs(inputs, output, 5).Where(a => a != "--vocab" && a != inputs.Vocab), "--resume", output];
        var (resumedExit, resumedOut, resumedError) = Run(withoutVocab);
        Assert.True(resumedExit == 0, resumedError + resumedOut);
        Assert.Contains("at step 3", resumedOut);
        Assert.Equal(5, File.ReadAllLines(Path.Combine(output, MetricsLog.LogFile)).Count(l => !l.Contains("\"eval\"")));
    }

    [Fact]
    public void Next_sentence_pretraining_reports_its_accuracy_and_its_checkpoint_initialises_a_masked_lm_run()
    {
        var inputs = TinyInputs();
        string pairs = Path.Combine(inputs.Root, "pairs"), continued = Path.Combine(inputs.Root, "continued");
        var (exit, stdout, stderr) = Run([.. TinyArgs(inputs, pairs, 2), "--next-sentence"]);
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("sentence pairs from", stdout);
        Assert.Contains(File.ReadAllLines(Path.Combine(pairs, MetricsLog.LogFile)), l => l.Contains("\"next_sentence_accuracy\""));
        string checkpoint = TrainingCheckpoint.FindLatest(pairs);
        using (var weights = BiGS.Native.Checkpoints.SafeTensorsReader.Open(Path.Combine(checkpoint, PretrainedLoader.SafeTensorsFile)))
            Assert.Contains("cls.seq_relationship.weight", weights.Shapes.Keys);

        // the MLM-only run takes the encoder and MLM head from the pair run's checkpoint and drops its other head
        var initialised = BiGSForMaskedLM.FromPretrained(checkpoint);
        (exit, stdout, stderr) = Run([.. TinyArgs(inputs, continued, 1), "--init", checkpoint, "--lr", "1e-30", "--dropout", "0"]);
        Assert.True(exit == 0, stderr + stdout);
        var after = BiGSForMaskedLM.FromPretrained(TrainingCheckpoint.FindLatest(continued));
        var word = (Before: initialised.Bigs.Embeddings.WordEmbeddings.Weight.Value.ToArray(), After: after.Bigs.Embeddings.WordEmbeddings.Weight.Value.ToArray());
        Assert.Equal(word.Before, word.After, (a, b) => Math.Abs(a - b) <= 1e-6f * Math.Max(1, Math.Abs(a)));
    }

    [Fact]
    public void Unwritable_output_bad_config_and_missing_corpus_fail_with_a_message()
    {
        var inputs = TinyInputs();
        string blocker = Path.Combine(inputs.Root, "a-file");
        File.WriteAllText(blocker, "");
        var (exit, _, error) = Run(TinyArgs(inputs, Path.Combine(blocker, "run"), 1));
        Assert.Equal(1, exit);
        Assert.Contains("--out", error);

        File.WriteAllText(inputs.Config, "{ \"hidden_size\": ");
        (exit, _, error) = Run(TinyArgs(inputs, Path.Combine(inputs.Root, "run"), 1));
        Assert.Equal(1, exit);
        Assert.StartsWith("error:", error);

        var missing = inputs with { Corpus = Path.Combine(inputs.Root, "missing.txt"), Config = TinyInputs().Config };
        (exit, _, error) = Run(TinyArgs(missing, Path.Combine(inputs.Root, "run"), 1));
        Assert.Equal(1, exit);
        Assert.Contains("missing.txt", error);
    }
}
