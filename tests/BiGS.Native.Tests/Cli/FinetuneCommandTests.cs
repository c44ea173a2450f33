using System.Text.Json;
using BiGS.Native.Tasks;
using BiGS.Native.Tests.Tasks;
using BiGS.Native.Tests.Training;
using BiGS.Native.Training;

namespace BiGS.Native.Tests.Cli;

/// <summary><c>bigs finetune</c> in-process on a tiny model and a 40-row task.</summary>
[Collection("Console")]
public class FinetuneCommandTests
{
    private static string[] Finetune(TinyTaskSetup setup, string output, params string[] extra) =>
    [
        "finetune", "--task", "sst2", "--data", setup.DataDirectory, "--model", setup.ModelDirectory, "--out", output,
        "--epochs", "3", "--batch-size", "8", "--lr", "1e-2", "--warmup-ratio", "0.1", .. extra,
    ];

    [Fact]
    public void Fine_tunes_keeps_the_best_model_and_eval_reproduces_its_dev_scores()
    {
        using var setup = new TinyTaskSetup();
        string output = Path.Combine(setup.Files.Root, "out");
        var (exitCode, stdout, error) = TinyTaskSetup.Run(Finetune(setup, output));
        Assert.True(exitCode == 0, error + stdout);
        Assert.Contains("newly initialised (not in the checkpoint): bigs.pooler.dense.weight, bigs.pooler.dense.bias, classifier.weight, classifier.bias", stdout);
        Assert.Contains("15 updates (3 epochs, batch 8), lr 1e-2,", stdout);   // 3 x ceil(40 / 8)
        foreach (string file in new[] { "config.json", "model.safetensors", "vocab.txt", "best_eval.json", "metrics.jsonl", "loss.svg" })
            Assert.True(File.Exists(Path.Combine(output, file)), $"missing {file}");

        var metricsLog = File.ReadAllLines(Path.Combine(output, "metrics.jsonl"));
        Assert.Equal(15, metricsLog.Count(l => !l.Contains("\"eval\"")));
        Assert.Equal(3, metricsLog.Count(l => l.Contains("\"eval\"")));   // once per epoch

        using var best = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "best_eval.json")));
        double bestAccuracy = best.RootElement.GetProperty("metrics").GetProperty("accuracy").GetDouble();
        Assert.True(bestAccuracy > 0.5, $"dev accuracy {bestAccuracy} on a one-word task");

        var (evalExit, evalOut, evalError) = TinyTaskSetup.Run("eval", "--task", "sst2", "--model", output, "--data", setup.DataDirectory, "--json");
        Assert.True(evalExit == 0, evalError);
        using var report = JsonDocument.Parse(evalOut);
        var dev = report.RootElement.GetProperty("results").GetProperty("dev");
        Assert.Equal(16, dev.GetProperty("examples").GetInt32());
        Assert.Equal(bestAccuracy, dev.GetProperty("accuracy").GetDouble(), 12);
        Assert.Equal(best.RootElement.GetProperty("metrics").GetProperty("loss").GetDouble(), dev.GetProperty("loss").GetDouble(), 5);
    }

    [Fact]
    public void Log_every_n_logs_every_nth_update_and_the_last()
    {
        using var setup = new TinyTaskSetup();
        string output = Path.Combine(setup.Files.Root, "out");
        var (exitCode, stdout, error) = TinyTaskSetup.Run(Finetune(setup, output, "--log-every", "4"));
        Assert.True(exitCode == 0, error + stdout);
        var logged = File.ReadAllLines(Path.Combine(output, "metrics.jsonl")).Where(l => !l.Contains("\"eval\""))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt32());
        Assert.Equal([4, 8, 12, 15], logged);   // of 15 updates
    }

    [Fact]
    public void Without_lr_a_model_smaller_than_the_authors_gets_the_small_model_rate()
    {
        using var setup = new TinyTaskSetup();   // hidden size 32
        string output = Path.Combine(setup.Files.Root, "out");
        var (exitCode, stdout, error) = TinyTaskSetup.Run("finetune", "--task", "sst2", "--data", setup.DataDirectory,
            "--model", setup.ModelDirectory, "--out", output, "--epochs", "1", "--batch-size", "20");
        Assert.True(exitCode == 0, error + stdout);
        Assert.Contains("2 updates (1 epoch, batch 20), lr 5e-4,", stdout);
    }

    [Theory]
    [InlineData(128, 5e-4f)]    // the default bigs pretrain model
    [InlineData(767, 5e-4f)]
    [InlineData(768, 2e-5f)]    // BiGS-base: the authors' recipe (docs/TRAINING.md)
    [InlineData(1024, 2e-5f)]   // BiGS-large, the released checkpoints
    public void The_default_learning_rate_follows_the_hidden_size(int hiddenSize, float expected) =>
        Assert.Equal(expected, FineTuneOptions.DefaultLearningRate(new BiGS.Native.Modeling.BiGSConfig { HiddenSize = hiddenSize }));

    [Fact]
    public void A_run_interrupted_then_continued_with_resume_repeats_the_uninterrupted_losses()
    {
        using var setup = new TinyTaskSetup();
        string straight = Path.Combine(setup.Files.Root, "straight"), split = Path.Combine(setup.Files.Root, "split");
        var (exitCode, stdout, error) = TinyTaskSetup.Run(Finetune(setup, straight));
        Assert.True(exitCode == 0, error + stdout);

        // the same settings as Finetune(...), stopped after update 7 of 15 as Ctrl-C would stop it
        var options = new FineTuneOptions { Epochs = 3, BatchSize = 8, LearningRate = 1e-2f, WarmupRatio = 0.1f };
        using var cancellation = new CancellationTokenSource();
        var interrupted = new FineTuning(GlueTasks.Get("sst2"), setup.DataDirectory, setup.ModelDirectory, split, options)
            .Run(new InlineProgress<TrainingProgress>(p => { if (p.Step == 7) cancellation.Cancel(); }), cancellation.Token);
        Assert.True(interrupted.Training.Cancelled);

        (exitCode, stdout, error) = TinyTaskSetup.Run([.. Finetune(setup, split), "--resume"]);
        Assert.True(exitCode == 0, error + stdout);
        Assert.Contains("resumed from", stdout);
        Assert.Equal(TrainingLosses(straight), TrainingLosses(split));
        Assert.Equal(File.ReadAllText(Path.Combine(straight, FineTuning.BestEvalFile)), File.ReadAllText(Path.Combine(split, FineTuning.BestEvalFile)));
    }

    private static double[] TrainingLosses(string runDirectory) =>
        [.. File.ReadAllLines(Path.Combine(runDirectory, MetricsLog.LogFile))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(record => !record.TryGetProperty("eval", out _))
            .Select(record => record.GetProperty("loss").GetDouble())];

    [Fact]
    public void An_unwritable_out_fails_before_training_and_names_the_option()
    {
        using var setup = new TinyTaskSetup();
        string blocker = setup.Files.Write("not-a-directory", "x");
        var (exitCode, _, error) = TinyTaskSetup.Run(Finetune(setup, Path.Combine(blocker, "out")));
        Assert.Equal(1, exitCode);
        Assert.StartsWith($"error: --out {Path.Combine(blocker, "out")} is not a writable directory", error);
    }

    [Fact]
    public void A_bad_training_label_names_file_and_line()
    {
        using var setup = new TinyTaskSetup();
        string train = setup.Files.Write("data/train.tsv", "sentence\tlabel\nthe cat is good .\t1\nthe dog is bad .\tpositive\n");
        var (exitCode, _, error) = TinyTaskSetup.Run(Finetune(setup, Path.Combine(setup.Files.Root, "out")));
        Assert.Equal(1, exitCode);
        Assert.Equal($"error: {train} line 3: label 'positive' is outside the task's range: task 'sst2' expects one of '0', '1'", error.Trim());
    }

    [Fact]
    public void Missing_training_file_and_misplaced_column_options_are_reported()
    {
        using var setup = new TinyTaskSetup();
        File.Delete(Path.Combine(setup.DataDirectory, "train.tsv"));
        var (exitCode, _, error) = TinyTaskSetup.Run(Finetune(setup, Path.Combine(setup.Files.Root, "out")));
        Assert.Equal(1, exitCode);
        Assert.Contains("has no train.tsv (or train.csv)", error);

        (exitCode, _, error) = TinyTaskSetup.Run(Finetune(setup, Path.Combine(setup.Files.Root, "out"), "--text-column", "x"));
        Assert.Equal(1, exitCode);
        Assert.Contains("are for --task custom", error);
    }
}
