using System.Text.Json.Nodes;
using BiGS.Native.Benchmarking;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;
using BiGS.Native.Tests.Cli;

namespace BiGS.Native.Tests.Benchmarking;

/// <summary><c>bigs bench</c> and the model benchmark behind it, on a tiny model so each run takes milliseconds.</summary>
[Collection("Console")]
public sealed class ModelBenchmarkTests : IDisposable
{
    private readonly string work = Path.Combine(Path.GetTempPath(), "bigs-bench-" + Guid.NewGuid().ToString("N"));

    public ModelBenchmarkTests() => Directory.CreateDirectory(work);

    public void Dispose() => Directory.Delete(work, recursive: true);

    private static BiGSConfig Tiny() => new()
    {
        NumHiddenLayers = 2, HiddenSize = 16, IntermediateSize = 24, NumSsm = 4, VocabSize = 50, MaxPositionEmbeddings = 8,
    };

    private string TinyConfigFile()
    {
        Tiny().Save(work);
        return Path.Combine(work, "config.json");
    }

    [Fact]
    public void Json_output_reports_the_shape_every_step_and_tokens_per_second_at_the_median_step()
    {
        // Length 12 exceeds the config's 8 positions: the benchmark widens the position table.
        var (code, output, error) = CliRunner.Run("bench", "--config", TinyConfigFile(), "--batch", "3", "--length", "12",
            "--train", "--threads", "1", "--warmup", "0", "--runs", "3", "--json");
        Assert.True(code == 0, error);
        var json = JsonNode.Parse(output)!.AsObject();
        Assert.Equal("train", (string)json["mode"]!);
        Assert.Equal(3, (int)json["batch"]!);
        Assert.Equal(12, (int)json["length"]!);
        Assert.Equal(2, (int)json["layers"]!);
        Assert.Equal(1, (int)json["threads"]!);
        var steps = json["step_ms"]!.AsArray().Select(s => (double)s!).ToArray();
        Assert.Equal(3, steps.Length);
        Assert.All(steps, s => Assert.True(s > 0));
        double median = steps.Order().ElementAt(1);
        Assert.Equal(median, (double)json["median_step_ms"]!, 9);
        Assert.Equal(36 / (median / 1000), (double)json["tokens_per_second"]!, 6);
        Assert.Equal(3, json["step_cpu_ms"]!.AsArray().Count);
        Assert.True((double)json["peak_rss_mib"]! > 1);
        Assert.Equal("cpu", (string)json["device"]!);
        Assert.Null(json["device_peak_mib"]);
        Assert.Null(json["kernel_launches"]);
    }

    /// <summary>On a GPU device (ILGPU's CPU accelerator here) the model and batch live there and its pool's peaks are reported.</summary>
    [Fact]
    public void On_a_gpu_device_the_run_reports_the_device_and_its_peak_memory()
    {
        var (code, output, error) = CliRunner.Run("bench", "--config", TinyConfigFile(), "--batch", "2", "--length", "6",
            "--train", "--device", "ilgpu-cpu", "--threads", "1", "--warmup", "0", "--runs", "1", "--json");
        Assert.True(code == 0, error);
        var json = JsonNode.Parse(output)!.AsObject();
        Assert.Equal("ilgpu-cpu", (string)json["device"]!);
        double inUse = (double)json["device_peak_mib"]!, reserved = (double)json["device_reserved_peak_mib"]!;
        // At least the parameters and both AdamW moments (3 x 4 bytes per parameter).
        double parameters = new BiGSForMaskedLM(Tiny()).Parameters().Sum(p => p.Value.Count);
        Assert.True(inUse >= 12 * parameters / (1 << 20), $"device peak {inUse} MiB for {parameters} parameters");
        Assert.True(reserved >= inUse, $"reserved {reserved} < in use {inUse}");
        Assert.True((long)Assert.Single(json["kernel_launches"]!.AsArray())! > 0);
        Assert.True((long)json["kernel_launches_by_name"]!["Gemm.Simt"]! > 0);
        Assert.True((long)Assert.Single(json["device_to_host_copies"]!.AsArray())! > 0);
    }

    [Fact]
    public void With_launches_a_gpu_run_prints_the_launches_by_kernel_most_first_and_their_total()
    {
        var (lines, perStep) = TinyForwardOnIlgpuCpu("--launches");
        Assert.Equal("kernel launches of the last timed step (forward):", lines[1]);
        var rows = lines[2..^1].Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        Assert.Contains(rows, row => row[0] == "Gemm.Simt");
        var counts = rows.Select(row => long.Parse(row[1])).ToArray();
        Assert.Equal(counts.OrderDescending(), counts);
        Assert.Equal(["total", perStep.ToString()], lines[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(perStep, counts.Sum());
    }

    [Fact]
    public void With_kernel_times_a_gpu_run_prints_a_profiled_steps_device_time_by_kernel_longest_first()
    {
        var (lines, _) = TinyForwardOnIlgpuCpu("--kernel-times");
        Assert.Equal("device time by kernel, one profiled forward step (each launch between two markers):", lines[1]);
        Assert.Equal(["kernel", "launches", "ms", "share", "us/launch"], lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var rows = lines[3..^2].Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        Assert.Contains(rows, row => row[0] == "Gemm.Simt");
        var milliseconds = rows.Select(row => double.Parse(row[2], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(milliseconds.OrderDescending(), milliseconds);
        // (the profiled step's own total: the device is shared with tests running meanwhile, so the timed step's count may differ)
        var total = lines[^2].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("total", total[0]);
        Assert.Equal(long.Parse(total[1]), rows.Sum(row => long.Parse(row[1])));
        Assert.Equal(milliseconds.Sum(), double.Parse(total[2], System.Globalization.CultureInfo.InvariantCulture), 0.001 * rows.Length);
        Assert.StartsWith("the profiled step took ", lines[^1]);
    }

    /// <summary>`bigs bench` of one tiny forward step on ilgpu-cpu with <paramref name="option"/>: its output's lines and the launches per step its first line reports.</summary>
    private (string[] Lines, long LaunchesPerStep) TinyForwardOnIlgpuCpu(string option)
    {
        var (code, output, error) = CliRunner.Run("bench", "--config", TinyConfigFile(), "--batch", "1", "--length", "4",
            "--device", "ilgpu-cpu", "--threads", "1", "--warmup", "0", "--runs", "1", option);
        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return (lines, long.Parse(System.Text.RegularExpressions.Regex.Match(lines[0], @", (\d+) kernel launches, ").Groups[1].Value));
    }

    [Fact]
    public void Kernel_times_on_the_cpu_say_that_it_launches_no_kernels()
    {
        var (code, output, error) = CliRunner.Run("bench", "--config", TinyConfigFile(), "--batch", "1", "--length", "4",
            "--threads", "1", "--warmup", "0", "--runs", "1", "--kernel-times");
        Assert.True(code == 0, error);
        Assert.DoesNotContain("device time by kernel", output);
        Assert.Contains("--kernel-times: cpu launches no kernels to time", error);
    }

    [Fact]
    public void Text_output_names_the_mode_and_shape()
    {
        var (code, output, error) = CliRunner.Run("bench", "--config", TinyConfigFile(), "--batch", "2", "--length", "5",
            "--threads", "1", "--warmup", "1", "--runs", "1");
        Assert.True(code == 0, error);
        Assert.StartsWith("forward 2x5 (2 layers, d 16, cpu, 1 threads): ", output);
        Assert.Contains("tokens/s", output);
        Assert.Contains("peak RSS", output);
    }

    [Theory]
    [InlineData("--runs", "0", "runs must be at least 1")]
    [InlineData("--batch", "0", "batch must be at least 1")]
    [InlineData("--threads", "0", "--threads must be at least 1")]
    public void Bad_options_are_one_line_errors(string option, string value, string message)
    {
        var (code, _, error) = CliRunner.Run("bench", "--config", TinyConfigFile(), option, value);
        Assert.Equal(1, code);
        Assert.Contains(message, error);
    }

    [Fact]
    public void A_missing_config_file_is_named()
    {
        string missing = Path.Combine(work, "nope.json");
        var (code, _, error) = CliRunner.Run("bench", "--config", missing);
        Assert.Equal(1, code);
        Assert.Contains(missing, error);
    }

    [Fact]
    public void Named_configs_have_the_issue_sizes()
    {
        var (baseConfig, large) = (BenchmarkConfigs.Resolve("base"), BenchmarkConfigs.Resolve("large"));
        Assert.Equal((12, 768, 3072, 64, 30522), (baseConfig.NumHiddenLayers, baseConfig.HiddenSize, baseConfig.IntermediateSize, baseConfig.NumSsm, baseConfig.VocabSize));
        Assert.Equal((23, 1024, 3072, 64, 30522), (large.NumHiddenLayers, large.HiddenSize, large.IntermediateSize, large.NumSsm, large.VocabSize));
    }

    [Fact]
    public void The_synthetic_batch_labels_fifteen_percent_of_distinct_positions_with_in_vocabulary_ids()
    {
        var options = new ModelBenchmarkOptions { Config = Tiny(), Batch = 4, Length = 50 };
        var batch = ModelBenchmark.SyntheticBatch(50, options, new Rng(7));
        int[] ids = batch.InputIds.ToIntArray(), labels = batch.Labels!.ToIntArray();
        Assert.Equal(new[] { 4, 50 }, batch.InputIds.ShapeArray());
        Assert.All(ids, id => Assert.InRange(id, 0, 49));
        var labelled = labels.Where(l => l != -100).ToArray();
        Assert.Equal(30, labelled.Length); // round(0.15 * 200)
        Assert.All(labelled, l => Assert.InRange(l, 0, 49));
    }

    [Fact]
    public void A_training_step_changes_the_weights_and_a_forward_step_does_not()
    {
        foreach (bool train in new[] { false, true })
        {
            var benchmark = new ModelBenchmark(new ModelBenchmarkOptions { Config = Tiny(), Batch = 2, Length = 6, Train = train, Warmup = 0, Runs = 1 });
            var weight = benchmark.Model.Bigs.Encoder.Layers[0].Output.Weight.Value;
            float[] before = weight.ToArray();
            benchmark.Run();
            Assert.Equal(train, !before.SequenceEqual(weight.ToArray()));
        }
    }

    [Fact]
    public void The_median_of_an_even_count_is_the_mean_of_the_middle_two()
    {
        var options = new ModelBenchmarkOptions { Config = Tiny(), Batch = 2, Length = 10 };
        var result = new ModelBenchmarkResult(options, 1, [4.0, 1.0, 3.0, 2.0], [1.0, 1.0, 1.0, 1.0], 1 << 20);
        Assert.Equal(2.5, result.MedianStepSeconds);
        Assert.Equal(20 / 2.5, result.TokensPerSecond);
        Assert.Equal(1.0, result.PeakResidentMiB);
    }

    [Theory]
    [InlineData(true, float.NaN, "\"loss\":null")]
    [InlineData(false, float.PositiveInfinity, "\"first_logit\":null")]
    [InlineData(true, 2.5f, "\"loss\":2.5")]
    public void A_step_value_that_is_not_finite_is_written_as_null(bool train, float value, string expected)
    {
        var options = new ModelBenchmarkOptions { Config = Tiny(), Batch = 2, Length = 10, Train = train };
        var result = new ModelBenchmarkResult(options, 1, [1.0], [1.0], 1 << 20) { LastStepValue = value };
        Assert.Contains(expected, result.ToJson().ToJsonString());
    }
}
