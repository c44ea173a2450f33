using System.Text.Json.Nodes;
using BiGS.Native.Modeling;

namespace BiGS.Native.Tests.Benchmarking;

/// <summary>
/// The <c>ilgpu-dry</c> device skips every kernel and keeps everything else: a training step there makes the same
/// allocations, copies, clears and launches as on ILGPU's CPU accelerator, which runs the kernels. Each side is a fresh
/// <c>bigs bench</c> process, so the pool peaks it reports (since its device was opened) are that run's alone.
/// </summary>
public sealed class DryDeviceTests : IDisposable
{
    private readonly string work = Path.Combine(Path.GetTempPath(), "bigs-dry-" + Guid.NewGuid().ToString("N"));

    public DryDeviceTests() => Directory.CreateDirectory(work);

    public void Dispose() => Directory.Delete(work, recursive: true);

    [Fact]
    public void A_training_step_allocates_copies_and_launches_as_on_the_device_that_runs_the_kernels()
    {
        new BiGSConfig { NumHiddenLayers = 2, HiddenSize = 16, IntermediateSize = 24, NumSsm = 4, VocabSize = 50, MaxPositionEmbeddings = 40 }
            .Save(work);
        string config = Path.Combine(work, "config.json");
        var computed = BigsBench.TrainingSteps(config, "ilgpu-cpu", new Dictionary<string, string>());
        var dry = BigsBench.TrainingSteps(config, "ilgpu-dry", new Dictionary<string, string>());

        foreach (string key in new[] { "device_peak_mib", "device_reserved_peak_mib", "kernel_launches", "kernel_launches_by_name",
                     "device_to_host_copies", "host_to_device_copies", "memory_clears" })
            Assert.True(JsonNode.DeepEquals(computed[key], dry[key]), $"{key}: ilgpu-cpu {computed[key]?.ToJsonString()}, ilgpu-dry {dry[key]?.ToJsonString()}");
        Assert.True((long)computed["kernel_launches"]![0]! > 100, "a training step launches the model's kernels");
    }
}
