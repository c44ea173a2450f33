using System.CommandLine;
using BiGS.Native.Benchmarking;
using BiGS.Native.Kernels.Cpu;

namespace BiGS.Native.Cli.Commands;

/// <summary>
/// <c>bigs bench</c>: times forward-only or training steps of a randomly initialised masked-LM model and prints
/// tokens per second (median over runs), time per step and peak resident memory (and on a GPU the device's peak
/// memory and the kernel launches and copies per step, with --launches a table of launches by kernel name, with
/// --kernel-times one more step with its device time by kernel name), or one JSON object with --json (which always
/// holds the launches by kernel name on a GPU, and the profiled step with --kernel-times).
/// </summary>
public static class BenchCommand
{
    /// <summary>The <c>bigs bench</c> command, its options bound to their handler, for the root command to add.</summary>
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "base, large, or a config.json file", DefaultValueFactory = _ => "base" };
        var batch = new Option<int>("--batch") { Description = "Sequences per step", DefaultValueFactory = _ => 8 };
        var length = new Option<int>("--length") { Description = "Tokens per sequence", DefaultValueFactory = _ => 128 };
        var train = new Option<bool>("--train") { Description = "Full training steps (MLM loss on 15% of positions, backward, global-norm clipping to 1, AdamW) instead of forward only" };
        var threads = new Option<int>("--threads") { Description = "Worker threads (default: all cores)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps first", DefaultValueFactory = _ => 1 };
        var runs = new Option<int>("--runs") { Description = "Timed steps (the median is reported)", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a line of text" };
        var launches = new Option<bool>("--launches") { Description = "On a GPU device, also print the last timed step's kernel launches by kernel name, most launched first" };
        var kernelTimes = new Option<bool>("--kernel-times")
        {
            Description = "On a GPU device, run one more step after the timed ones with each kernel launch timed on the device, and print its time by kernel name, longest first",
        };
        var precision = PrecisionOption.Create();
        var device = DeviceOption.Create();
        var command = new Command("bench", "Measure model throughput: tokens/s, time per step and peak memory");
        foreach (var option in new Option[] { config, batch, length, train, threads, warmup, runs, json, launches, kernelTimes, precision, device }) command.Options.Add(option);
        command.SetAction(r => CliErrors.Guard(() =>
        {
            using var scope = PrecisionOption.Use(r, precision);
            var options = new ModelBenchmarkOptions
            {
                Config = BenchmarkConfigs.Resolve(r.GetValue(config)!),
                Device = DeviceOption.Resolve(r.GetValue(device)),
                Batch = r.GetValue(batch),
                Length = r.GetValue(length),
                Train = r.GetValue(train),
                Warmup = r.GetValue(warmup),
                Runs = r.GetValue(runs),
                ProfileKernels = r.GetValue(kernelTimes),
            };
            return Run(options, r.GetValue(threads), r.GetValue(json), r.GetValue(launches));
        }));
        return command;
    }

    private static int Run(ModelBenchmarkOptions options, int threads, bool json, bool launches)
    {
        if (threads < 1) throw new ArgumentException($"--threads must be at least 1, got {threads}");
        options.Validate();
        int previousThreads = CpuParallel.ThreadCount;
        CpuParallel.ThreadCount = threads;
        try
        {
            var result = new ModelBenchmark(options).Run();
            Console.WriteLine(json ? result.ToJson().ToJsonString() : result.Describe());
            if (launches && !json && result.StepActivity is not null) Console.WriteLine(result.DescribeLaunches());
            if (!json && result.ProfiledStep is not null) Console.WriteLine(result.DescribeKernelTimes());
            if (options.ProfileKernels && result.ProfiledStep is null)
                Console.Error.WriteLine($"--kernel-times: {options.Device} launches no kernels to time (a GPU device does: cuda, opencl, ilgpu-cpu)");
            return 0;
        }
        finally
        {
            CpuParallel.ThreadCount = previousThreads;
        }
    }
}
