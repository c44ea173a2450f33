using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using BiGS.Native.Tensors;

namespace BiGS.Native.Benchmarking;

/// <summary>The timings of a <see cref="ModelBenchmark"/> run.</summary>
/// <param name="Options">What was measured.</param>
/// <param name="Threads">Worker threads the kernels used.</param>
/// <param name="StepSeconds">Wall time of each timed step, in order.</param>
/// <param name="StepCpuSeconds">
/// CPU time (user + system, all threads) of each timed step: on a machine shared with other work it varies far less
/// than wall time.
/// </param>
/// <param name="PeakResidentBytes">Peak resident set size of the process (Linux VmHWM) after the runs.</param>
public sealed record ModelBenchmarkResult(ModelBenchmarkOptions Options, int Threads, IReadOnlyList<double> StepSeconds,
    IReadOnlyList<double> StepCpuSeconds, long PeakResidentBytes)
{
    /// <summary>Median wall time of a step in seconds.</summary>
    public double MedianStepSeconds => Median(StepSeconds);

    /// <summary>Median CPU time of a step in seconds.</summary>
    public double MedianStepCpuSeconds => Median(StepCpuSeconds);

    /// <summary>Tokens per second at the median step time: B * L / median.</summary>
    public double TokensPerSecond => Options.Batch * Options.Length / MedianStepSeconds;

    /// <summary>Tokens per CPU second at the median CPU time of a step: B * L / median CPU time.</summary>
    public double TokensPerCpuSecond => Options.Batch * Options.Length / MedianStepCpuSeconds;

    /// <summary>
    /// On a GPU device, the most device memory tensors and workspaces held at once (comparable with PyTorch's
    /// torch.cuda.max_memory_allocated); null on the CPU.
    /// </summary>
    public long? DevicePeakInUseBytes { get; init; }

    /// <summary>
    /// On a GPU device, the most memory allocated from the device at once, including what the pool caches (comparable
    /// with torch.cuda.max_memory_reserved); null on the CPU.
    /// </summary>
    public long? DevicePeakReservedBytes { get; init; }

    /// <summary>
    /// On a GPU device, each timed step's kernel launches (by kernel name), host-device copies and memory clears, in
    /// order; null on the CPU.
    /// </summary>
    public IReadOnlyList<DeviceActivity>? StepActivity { get; init; }

    /// <summary>
    /// With <see cref="ModelBenchmarkOptions.ProfileKernels"/> on a GPU device, the extra step whose kernel launches were
    /// timed on the device; else null.
    /// </summary>
    public ProfiledStep? ProfiledStep { get; init; }

    /// <summary>
    /// The value the last timed step read back: its loss (training) or its first logit (forward). The same seed gives
    /// the same value on every device and kernel path up to rounding, which checks a run on a new path end to end.
    /// </summary>
    public float LastStepValue { get; init; }

    /// <summary>Peak resident set size in MiB.</summary>
    public double PeakResidentMiB => Mebibytes(PeakResidentBytes);

    /// <summary>"forward" (inference) or "train" (training steps), as the result's JSON and summary line name it.</summary>
    public string Mode => Options.Train ? "train" : "forward";

    /// <summary>One line for people: mode, shape, tokens/s, time per step, peak memory.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Mode} {Options.Batch}x{Options.Length} ({Options.Config.NumHiddenLayers} layers, d {Options.Config.HiddenSize}, {Options.Device}, {Threads} threads): "
        + $"{TokensPerSecond:F1} tokens/s, {1000 * MedianStepSeconds:F1} ms/step (median of {StepSeconds.Count}), {1000 * MedianStepCpuSeconds:F1} CPU ms/step, peak RSS {PeakResidentMiB:F0} MiB")
        + DeviceMemory() + DeviceActivitySummary();

    /// <summary>
    /// The last timed step's kernel launches by kernel name, most launched first, then their total (one "name count"
    /// row each); nothing on the CPU.
    /// </summary>
    public string DescribeLaunches()
    {
        if (StepActivity is not { Count: > 0 } steps) return "";
        var last = steps[^1];
        int width = NameColumnWidth(last);
        var table = new StringBuilder().AppendLine(CultureInfo.InvariantCulture, $"kernel launches of the last timed step ({Mode}):");
        foreach (var (name, count) in last.KernelsByCount()) table.AppendLine(CultureInfo.InvariantCulture, $"  {name.PadRight(width)} {count,8}");
        return table.Append(CultureInfo.InvariantCulture, $"  {"total".PadRight(width)} {last.Launches,8}").ToString();
    }

    /// <summary>
    /// The profiled step's device time by kernel name, longest first: launches, milliseconds, share of the timed total,
    /// microseconds per launch; then the total and the step's wall time. Nothing without a profiled step.
    /// </summary>
    public string DescribeKernelTimes()
    {
        if (ProfiledStep is not { } profiled) return "";
        var activity = profiled.Activity;
        double total = activity.TimedMilliseconds;
        if (total == 0) return $"device time by kernel: {Options.Device} timed none of the profiled step's {activity.Launches} launches (ilgpu-dry runs no kernels)";
        int width = NameColumnWidth(activity);
        var table = new StringBuilder().AppendLine(CultureInfo.InvariantCulture,
            $"device time by kernel, one profiled {Mode} step (each launch between two markers):");
        table.AppendLine(CultureInfo.InvariantCulture, $"  {"kernel".PadRight(width)} {"launches",8} {"ms",9} {"share",6} {"us/launch",10}");
        foreach (var (name, milliseconds, launches) in profiled.KernelsByTime())
            table.AppendLine(CultureInfo.InvariantCulture,
                $"  {name.PadRight(width)} {launches,8} {milliseconds,9:F3} {100 * milliseconds / total,5:F1}% {1000 * milliseconds / launches,10:F1}");
        table.AppendLine(CultureInfo.InvariantCulture, $"  {"total".PadRight(width)} {activity.Launches,8} {total,9:F3}");
        return table.Append(CultureInfo.InvariantCulture,
            $"  the profiled step took {1000 * profiled.WallSeconds:F1} ms of wall time with its markers; the timed steps' median, {1000 * MedianStepSeconds:F1} ms").ToString();
    }

    /// <summary>The width of a kernel table's name column: the longest kernel name launched, or "total".</summary>
    private static int NameColumnWidth(DeviceActivity activity) =>
        Math.Max("total".Length, activity.LaunchesByKernel.Keys.Select(name => name.Length).DefaultIfEmpty(0).Max());

    /// <summary>", device peak X MiB in use, Y MiB reserved" on a GPU device, nothing on the CPU.</summary>
    private string DeviceMemory() => DevicePeakInUseBytes is { } peak
        ? string.Create(CultureInfo.InvariantCulture, $", device peak {Mebibytes(peak):F0} MiB in use, {Mebibytes(DevicePeakReservedBytes ?? 0):F0} MiB reserved")
        : "";

    /// <summary>
    /// ", N kernel launches, D device-to-host and H host-to-device copies per step (last timed step)" on a GPU device,
    /// nothing on the CPU.
    /// </summary>
    private string DeviceActivitySummary() => StepActivity is { Count: > 0 } steps
        ? string.Create(CultureInfo.InvariantCulture,
            $", {steps[^1].Launches} kernel launches, {steps[^1].DeviceToHostCopies} device-to-host and {steps[^1].HostToDeviceCopies} host-to-device copies per step")
        : "";

    /// <summary>
    /// The result as one JSON object (times in milliseconds, memory in MiB); a loss or logit that is NaN or infinite
    /// (a diverged or broken run) is null, as JSON has no such numbers.
    /// </summary>
    public JsonObject ToJson() => new()
    {
        ["implementation"] = "bigs-native",
        ["mode"] = Mode,
        ["batch"] = Options.Batch,
        ["length"] = Options.Length,
        ["layers"] = Options.Config.NumHiddenLayers,
        ["hidden_size"] = Options.Config.HiddenSize,
        ["device"] = Options.Device.ToString(),
        ["threads"] = Threads,
        ["warmup"] = Options.Warmup,
        ["runs"] = StepSeconds.Count,
        ["tokens_per_second"] = TokensPerSecond,
        ["median_step_ms"] = 1000 * MedianStepSeconds,
        ["step_ms"] = Milliseconds(StepSeconds),
        ["tokens_per_cpu_second"] = TokensPerCpuSecond,
        ["median_step_cpu_ms"] = 1000 * MedianStepCpuSeconds,
        ["step_cpu_ms"] = Milliseconds(StepCpuSeconds),
        ["peak_rss_mib"] = PeakResidentMiB,
        ["device_peak_mib"] = DevicePeakInUseBytes is { } peak ? Mebibytes(peak) : null,
        ["device_reserved_peak_mib"] = DevicePeakReservedBytes is { } reserved ? Mebibytes(reserved) : null,
        ["kernel_launches"] = PerStep(activity => activity.Launches),
        ["device_to_host_copies"] = PerStep(activity => activity.DeviceToHostCopies),
        ["host_to_device_copies"] = PerStep(activity => activity.HostToDeviceCopies),
        ["memory_clears"] = PerStep(activity => activity.MemoryClears),
        ["kernel_launches_by_name"] = StepActivity is { Count: > 0 } steps
            ? new JsonObject(steps[^1].KernelsByCount().Select(pair => KeyValuePair.Create(pair.Key, (JsonNode?)pair.Value)))
            : null,
        [Options.Train ? "loss" : "first_logit"] = float.IsFinite(LastStepValue) ? LastStepValue : null,
        ["profiled_step"] = ProfiledStep?.ToJson(),
    };

    /// <summary>One count per timed step on a GPU device; null on the CPU.</summary>
    private JsonArray? PerStep(Func<DeviceActivity, long> count) =>
        StepActivity is null ? null : new JsonArray(StepActivity.Select(activity => (JsonNode?)count(activity)).ToArray());

    /// <summary>The median (the mean of the two middle values for an even count).</summary>
    private static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : 0.5 * (sorted[middle - 1] + sorted[middle]);
    }

    private static double Mebibytes(long bytes) => bytes / (1024.0 * 1024.0);

    private static JsonArray Milliseconds(IEnumerable<double> seconds) => new(seconds.Select(s => (JsonNode?)(1000 * s)).ToArray());
}
