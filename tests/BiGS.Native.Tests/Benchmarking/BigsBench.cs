using System.Text.Json.Nodes;
using BiGS.Native.Gpu;
using BiGS.Native.Tests.Distributed;
using Xunit;

namespace BiGS.Native.Tests.Benchmarking;

/// <summary>Runs <c>bigs bench</c> as a fresh process, so that what it reports (pool peaks, launches) is that run's alone.</summary>
internal static class BigsBench
{
    /// <summary>
    /// The JSON result of two training steps (one timed) of the model in <paramref name="configFile"/> at 2x33 (FFT length
    /// 128) on <paramref name="device"/>, with the extra <paramref name="options"/> and environment variables. The GPU
    /// kernel settings not among them are the defaults, whatever the test process's environment says (a
    /// <c>BIGS_GEMM_TILE=measure</c> there would change the launches the tests count).
    /// </summary>
    public static JsonNode TrainingSteps(string configFile, string device, IReadOnlyDictionary<string, string> environment, params string[] options)
    {
        var settings = new Dictionary<string, string> { [GemmTileTuner.EnvironmentVariable] = "auto", [IlgpuKernelOptions.EnvironmentVariable] = "" };
        foreach (var (name, value) in environment) settings[name] = value;
        var (exitCode, output) = BigsProcess.Run(1, settings, ["bench", "--config", configFile, "--batch", "2", "--length", "33",
            "--train", "--device", device, "--threads", "1", "--warmup", "1", "--runs", "1", "--json", .. options]);
        Assert.True(exitCode == 0, $"bench on {device} exited {exitCode}:\n{output}");
        return JsonNode.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(line => line.StartsWith('{')))!;
    }
}
