using System.Text.Json;
using BiGS.Native.Checkpoints;
using BiGS.Native.Distributed;
using BiGS.Native.Tests.Tasks;
using BiGS.Native.Training;

namespace BiGS.Native.Tests.Distributed;

/// <summary>
/// A tiny model's pretraining run of one process, the reference every data-parallel run here is held to: a 2-layer,
/// 16-wide BiGS with dropout 0.1 on a 300-line corpus, global batch 4 of 32 tokens, 10 updates.
/// </summary>
public sealed class SingleProcessPretraining : IDisposable
{
    public const int Steps = 60;   // room for the interrupt tests: a quiet machine runs a dozen updates between a poll and the signal

    public SingleProcessPretraining()
    {
        File.WriteAllText(ConfigFile, """
            {"model_type": "BiGS", "vocab_size": 30522, "hidden_size": 16, "num_hidden_layers": 2, "intermediate_size": 32,
             "num_ssm": 8, "max_position_embeddings": 32, "hidden_dropout_prob": 0.1, "tie_word_embeddings": true,
             "architectures": ["BiGSForMaskedLM"]}
            """);
        File.WriteAllLines(CorpusFile, CorpusLines());
        var (exitCode, output) = BigsProcess.Run(1, Pretrain(Output));
        Assert.True(exitCode == 0, output);
    }

    public TemporaryDirectory Files { get; } = new();

    public string Output => Path.Combine(Files.Path, "single");

    private string ConfigFile => Path.Combine(Files.Path, "tiny.json");

    private string CorpusFile => Path.Combine(Files.Path, "corpus.txt");

    /// <summary>
    /// The pretrain command line of every run, writing to <paramref name="output"/>; <paramref name="changes"/> are
    /// option/value pairs that replace the default's value or are added.
    /// </summary>
    public string[] Pretrain(string output, params string[] changes)
    {
        var options = new Dictionary<string, string>
        {
            ["--config"] = ConfigFile, ["--corpus"] = CorpusFile, ["--steps"] = Steps.ToString(), ["--batch-size"] = "4",
            ["--max-length"] = "32", ["--lr"] = "3e-3", ["--eval-every"] = "100", ["--save-every"] = "100", ["--out"] = output,
        };
        for (int i = 0; i < changes.Length; i += 2) options[changes[i]] = changes[i + 1];
        return ["pretrain", .. options.SelectMany(o => new[] { o.Key, o.Value })];
    }

    public void Dispose() => Files.Dispose();

    /// <summary>300 distinct lines of a small made-up language.</summary>
    private static IEnumerable<string> CorpusLines()
    {
        string[] subjects = ["the shepherd", "a king", "his brother", "the people", "my servant", "the prophet"];
        string[] verbs = ["went up to", "spoke unto", "blessed", "gathered", "remembered", "built"];
        string[] objects = ["the city", "the mountain", "the river", "his house", "the temple", "the field", "their fathers"];
        for (int i = 0; i < 300; i++)
            yield return $"and {subjects[i % 6]} {verbs[i / 6 % 6]} {objects[i % 7]} on day {i}, and it was good.";
    }
}

/// <summary>
/// Data-parallel training under mpirun against one process: same losses and weights, resumption with another
/// number of ranks, and a rank's death or failure stopping every rank.
/// </summary>
[Collection("Processes")]
public sealed class DataParallelTests(SingleProcessPretraining single) : IClassFixture<SingleProcessPretraining>
{
    private const int SigInt = 2, SigKill = 9;

    [MpiFact]
    public void Pretraining_on_two_ranks_gives_the_losses_and_weights_of_one_process()
    {
        string output = Path.Combine(single.Files.Path, "two-ranks");
        var (exitCode, log) = BigsProcess.Run(2, single.Pretrain(output));
        Assert.True(exitCode == 0, log);
        Assert.Contains("data-parallel over 2 MPI ranks", log);
        // every bucket is a run of the optimizer's flat gradient buffer, summed there with no staging copy
        Assert.Matches(@"gradient all-reduce: Open MPI, gradients summed in place in host memory \(the model is on cpu\); (\d+) of \1 buckets summed in place", log);
        AssertSameLosses(Losses(single.Output), Losses(output), SingleProcessPretraining.Steps);
        AssertSameWeights(LatestWeights(single.Output), LatestWeights(output));
    }

    [MpiFact]
    public void Sharding_the_optimizer_state_over_two_ranks_gives_the_losses_weights_and_optimizer_state_of_one_process()
    {
        string output = Path.Combine(single.Files.Path, "zero1");
        var (exitCode, log) = BigsProcess.Run(2, single.Pretrain(output, "--zero", "1"));
        Assert.True(exitCode == 0, log);
        Assert.Contains("(ZeRO stage 1 over 2 ranks)", log);
        AssertSameLosses(Losses(single.Output), Losses(output), SingleProcessPretraining.Steps);
        AssertSameWeights(LatestWeights(single.Output), LatestWeights(output));
        // the checkpoint's optimizer state, gathered on rank 0 from both ranks' shares, is one process's: each
        // moment within 1e-4 of its tensor's largest magnitude (the smallest moments differ in their 4th digit with
        // the order of the gradient sums)
        var expected = LatestOptimizerState(single.Output);
        var actual = LatestOptimizerState(output);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, tensor) in expected)
        {
            float[] a = tensor.Floats!, b = actual[name].Floats!;
            double scale = a.Max(Math.Abs);
            for (int i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-4 * scale, $"{name}[{i}]: {b[i]:R}, one process {a[i]:R} (largest {scale:R})");
        }
    }

    [MpiFact]
    public void A_two_rank_run_interrupted_continues_on_one_rank_as_if_uninterrupted() =>
        InterruptAndResume(firstRanks: 2, resumedRanks: 1);

    [MpiFact]
    public void A_one_rank_run_interrupted_continues_on_two_ranks_as_if_uninterrupted() =>
        InterruptAndResume(firstRanks: 1, resumedRanks: 2);

    [MpiFact]
    public void Fine_tuning_on_two_ranks_gives_the_losses_and_weights_of_one_process()
    {
        using var setup = new TinyTaskSetup();
        string[] Finetune(string output) =>
        [
            "finetune", "--task", "sst2", "--data", setup.DataDirectory, "--model", setup.ModelDirectory, "--out", output,
            "--epochs", "2", "--batch-size", "8", "--lr", "1e-2", "--warmup-ratio", "0.1",
        ];
        string one = Path.Combine(setup.Files.Root, "one"), two = Path.Combine(setup.Files.Root, "two");
        var (exitOne, logOne) = BigsProcess.Run(1, Finetune(one));
        Assert.True(exitOne == 0, logOne);
        var (exitTwo, logTwo) = BigsProcess.Run(2, Finetune(two));
        Assert.True(exitTwo == 0, logTwo);
        AssertSameLosses(Losses(one), Losses(two), 10);   // 2 epochs x 40 / 8
        AssertSameWeights(LatestWeights(one), LatestWeights(two));
        Assert.Equal(File.ReadAllText(Path.Combine(one, "best_eval.json")), File.ReadAllText(Path.Combine(two, "best_eval.json")));
    }

    [MpiFact]
    public void A_killed_rank_stops_every_rank_and_leaves_the_last_checkpoint_resumable()
    {
        string output = Path.Combine(single.Files.Path, "killed");
        using var run = BigsProcess.Start(2, single.Pretrain(output, "--steps", "1000", "--save-every", "2"));
        run.WaitUntil(() => Losses(output).Count >= 5, "5 logged updates");
        var ranks = run.RankProcessIds();
        Assert.Equal([0, 1], ranks.Keys.Order());
        BigsProcess.Signal(ranks[1], SigKill);

        int exitCode = run.WaitForExit();   // bounded: WaitForExit fails the test after its time limit
        Assert.NotEqual(0, exitCode);
        Assert.Contains("exited on signal 9", run.Output);
        Assert.False(BigsProcess.IsAlive(ranks[0]), "rank 0 outlived the killed rank");

        // checkpoints appear whole: every step-N directory is complete, whatever the kill interrupted
        var checkpoints = Directory.GetDirectories(Path.Combine(output, "checkpoints"), "step-*");
        Assert.NotEmpty(checkpoints);
        Assert.All(checkpoints, c => Assert.True(TrainingCheckpoint.IsComplete(c), $"{c} is incomplete"));
        string checkpoint = TrainingCheckpoint.FindLatest(output);
        int step = int.Parse(Path.GetFileName(checkpoint)["step-".Length..]);
        var (resumedExit, resumedLog) = BigsProcess.Run(1, single.Pretrain(output, "--resume", output, "--steps", (step + 1).ToString()));
        Assert.True(resumedExit == 0, resumedLog);
        Assert.Contains($"at step {step}", resumedLog);
    }

    [MpiFact]
    public void A_hung_rank_stops_every_rank_after_the_collective_timeout()
    {
        string output = Path.Combine(single.Files.Path, "hung");
        var hangRank1 = new Dictionary<string, string> { [DataParallel.HangRankVariable] = "1" };
        // without the timeout rank 0 would wait for rank 1 for ever (the default limit is 30 minutes, past BigsProcess's)
        var (exitCode, log) = BigsProcess.Run(2, hangRank1, single.Pretrain(output, "--collective-timeout", "2"));
        Assert.True(exitCode != 0, log);
        Assert.True(log.Contains("error: rank 0 of 2 failed, stopping every rank: no progress in all-reduce for 2 s"), log);
    }

    [MpiFact]
    public void A_batch_that_does_not_split_over_the_ranks_stops_every_rank_with_the_reason()
    {
        var (exitCode, log) = BigsProcess.Run(2, single.Pretrain(Path.Combine(single.Files.Path, "odd"), "--batch-size", "3"));
        Assert.NotEqual(0, exitCode);
        Assert.Contains("--batch-size 3 is the global batch and must divide by the 2 ranks", log);
    }

    /// <summary>Stops a run with Ctrl-C (SIGINT to every rank) after a few updates, resumes it on another number of ranks.</summary>
    private void InterruptAndResume(int firstRanks, int resumedRanks)
    {
        string output = Path.Combine(single.Files.Path, $"interrupted-{firstRanks}-{resumedRanks}");
        using (var run = BigsProcess.Start(firstRanks, single.Pretrain(output)))
        {
            run.WaitUntil(() => Losses(output).Count >= 3, "3 logged updates");
            foreach (int pid in run.RankProcessIds().Values) BigsProcess.Signal(pid, SigInt);
            run.WaitForExit();
        }
        string checkpoint = TrainingCheckpoint.FindLatest(output);
        int step = int.Parse(Path.GetFileName(checkpoint)["step-".Length..]);
        Assert.InRange(step, 3, SingleProcessPretraining.Steps - 1);

        var (exitCode, log) = BigsProcess.Run(resumedRanks, single.Pretrain(output, "--resume", output));
        Assert.True(exitCode == 0, log);
        Assert.Contains($"at step {step}", log);
        AssertSameLosses(Losses(single.Output), Losses(output), SingleProcessPretraining.Steps);
        AssertSameWeights(LatestWeights(single.Output), LatestWeights(output));
    }

    /// <summary>The training losses of metrics.jsonl by step (evaluations left out); empty before the file exists.</summary>
    private static List<double> Losses(string runDirectory)
    {
        string path = Path.Combine(runDirectory, MetricsLog.LogFile);
        if (!File.Exists(path)) return [];
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (IOException)
        {
            return [];   // being replaced at this moment
        }
        return lines.Where(l => l.Length > 0 && !l.Contains("\"eval\""))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("loss").GetDouble()).ToList();
    }

    private static void AssertSameLosses(List<double> expected, List<double> actual, int steps)
    {
        Assert.Equal(steps, expected.Count);
        Assert.Equal(steps, actual.Count);
        for (int i = 0; i < steps; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 * Math.Abs(expected[i]),
                $"update {i + 1}: loss {actual[i]:R}, one process {expected[i]:R}");
    }

    private static Dictionary<string, CheckpointTensor> LatestOptimizerState(string runDirectory) =>
        SafeTensorsReader.ReadAll(Path.Combine(TrainingCheckpoint.FindLatest(runDirectory), TrainingCheckpoint.OptimizerFile));

    private static Dictionary<string, CheckpointTensor> LatestWeights(string runDirectory) =>
        SafeTensorsReader.ReadAll(Path.Combine(TrainingCheckpoint.FindLatest(runDirectory), "model.safetensors"));

    /// <summary>Every tensor equal within 1e-5 (relative to the weight's magnitude where it exceeds 1).</summary>
    private static void AssertSameWeights(Dictionary<string, CheckpointTensor> expected, Dictionary<string, CheckpointTensor> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, tensor) in expected)
        {
            float[] a = tensor.Floats!, b = actual[name].Floats!;
            Assert.Equal(a.Length, b.Length);
            for (int i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-5 * Math.Max(1, Math.Abs(a[i])), $"{name}[{i}]: {b[i]:R}, one process {a[i]:R}");
        }
    }
}
