using System.Text.Json.Nodes;
using BiGS.Native.Tensors;

namespace BiGS.Native.Benchmarking;

/// <summary>
/// A benchmark step run with every kernel launch timed on the device (<see cref="ModelBenchmarkOptions.ProfileKernels"/>).
/// </summary>
/// <param name="Activity">The step's launches, copies and device milliseconds by kernel name.</param>
/// <param name="WallSeconds">The step's wall time, markers included (longer than an unprofiled step's).</param>
public sealed record ProfiledStep(DeviceActivity Activity, double WallSeconds)
{
    /// <summary>Each launched kernel's name, device milliseconds and launches, longest first (ties by name).</summary>
    public IEnumerable<(string Name, double Milliseconds, long Launches)> KernelsByTime() =>
        Activity.LaunchesByKernel
            .Select(pair => (Name: pair.Key, Milliseconds: Activity.MillisecondsByKernel.GetValueOrDefault(pair.Key), Launches: pair.Value))
            .OrderByDescending(kernel => kernel.Milliseconds).ThenBy(kernel => kernel.Name, StringComparer.Ordinal);

    /// <summary>{"wall_ms", "kernel_ms" (the timed total), "kernels": {name: {"launches", "ms"}, ...} longest first}.</summary>
    public JsonObject ToJson() => new()
    {
        ["wall_ms"] = 1000 * WallSeconds,
        ["kernel_ms"] = Activity.TimedMilliseconds,
        ["kernels"] = new JsonObject(KernelsByTime().Select(kernel => KeyValuePair.Create(kernel.Name,
            (JsonNode?)new JsonObject { ["launches"] = kernel.Launches, ["ms"] = kernel.Milliseconds }))),
    };
}
