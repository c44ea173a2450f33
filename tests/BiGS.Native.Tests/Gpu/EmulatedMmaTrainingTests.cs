using System.Text.Json.Nodes;
using BiGS.Native.Gpu;
using BiGS.Native.Modeling;
using BiGS.Native.Tests.Benchmarking;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// tf32 and bf16 training steps on the tensor-core GEMM path, its mma emulated on ILGPU's CPU accelerator
/// (<c>BIGS_GPU_KERNELS=emulated-mma</c>), against the same steps on the SIMT kernel, which rounds the operands the
/// same way: every product of the forward, backward and vocabulary projection goes through the tensor-core launch, and
/// the loss is the SIMT path's up to the order of fp32 sums.
/// </summary>
public sealed class EmulatedMmaTrainingTests : IDisposable
{
    private readonly string work = Path.Combine(Path.GetTempPath(), "bigs-mma-" + Guid.NewGuid().ToString("N"));

    /// <summary>A 2-layer model's config in a fresh folder, for every step of the test.</summary>
    public EmulatedMmaTrainingTests()
    {
        Directory.CreateDirectory(work);
        new BiGSConfig { NumHiddenLayers = 2, HiddenSize = 16, IntermediateSize = 24, NumSsm = 4, VocabSize = 50, MaxPositionEmbeddings = 40 }
            .Save(work);
    }

    public void Dispose() => Directory.Delete(work, recursive: true);

    [Theory]
    [InlineData("tf32", "Gemm.Tf32")]
    [InlineData("bf16", "Gemm.Bf16")]
    public void A_training_step_on_the_tensor_core_kernel_has_the_loss_of_the_simt_kernel(string precision, string kernel)
    {
        var simt = Step(precision, Kernels(""));
        var tensorCores = Step(precision, Kernels("emulated-mma"));

        var launches = tensorCores["kernel_launches_by_name"]!.AsObject();
        Assert.False(launches.ContainsKey("Gemm.Simt"), $"SIMT launches on the tensor-core path: {launches.ToJsonString()}");
        Assert.Equal(simt["kernel_launches_by_name"]!["Gemm.Simt"]!.GetValue<long>(), launches[kernel]!.GetValue<long>());
        double expected = simt["loss"]!.GetValue<double>(), actual = tensorCores["loss"]!.GetValue<double>();
        Assert.True(Math.Abs(actual - expected) <= 1e-5 * Math.Abs(expected), $"{precision}: loss {actual} on the tensor-core kernel, {expected} on the SIMT kernel");
    }

    /// <summary>
    /// The same step with every product on the 128 x 128 tile (<c>BIGS_GEMM_TILE=128x128</c>) has the 64 x 64 tile's
    /// loss to the bit: each accumulator takes its products in the same k order whatever the stage depth, so only the
    /// tiles' staging, warp placement, fragments and epilogue differ, and they must not change a value.
    /// </summary>
    [Theory]
    [InlineData("tf32", "Gemm.Tf32")]
    [InlineData("bf16", "Gemm.Bf16")]
    public void A_training_step_on_the_large_tensor_core_tile_has_the_loss_of_the_small_one(string precision, string kernel)
    {
        JsonNode OnTile(string tile) => Step(precision, new Dictionary<string, string>(Kernels("emulated-mma")) { [GemmTileTuner.EnvironmentVariable] = tile });
        JsonNode small = OnTile("64x64"), large = OnTile("128x128");

        Assert.Equal(small["kernel_launches_by_name"]![kernel]!.GetValue<long>(), large["kernel_launches_by_name"]![kernel]!.GetValue<long>());
        Assert.Equal(small["loss"]!.GetValue<double>(), large["loss"]!.GetValue<double>());
    }

    /// <summary>
    /// The same step with every product on the packed 128 x 128 plan has the same loss, to the bit, on the pipelined
    /// kernel (<c>pipelined-gemm</c>, its shared memory emulated too) as on the packed kernel: each accumulator takes the
    /// same products in the same k order, and every product of the step, the vocabulary projection's and the masked
    /// rows' among them, runs on it. The tensor-core kernel in bf16 alone: its emulation differs from tf32's only in the
    /// mma's k, which the product tests cover in both (<see cref="GemmTensorCorePipelineTests"/>), and each step takes
    /// about a minute here; the SIMT kernel in fp32.
    /// </summary>
    [Theory]
    [InlineData("bf16", "Gemm.Bf16Pipeline", "Gemm.Bf16Pairs")]
    [InlineData("fp32", "Gemm.SimtPipeline", "Gemm.Simt")]
    public void A_training_step_on_the_pipelined_kernel_has_the_loss_of_the_packed_one(string precision, string kernel, string packedKernel)
    {
        JsonNode With(string kernels) => Step(precision, new Dictionary<string, string>(Kernels(kernels))
        {
            [GemmTileTuner.EnvironmentVariable] = "128x128/" + GemmPlan.PackedName,
        });
        JsonNode packed = With("emulated-mma"), pipelined = With("emulated-mma,pipelined-gemm");

        var launches = pipelined["kernel_launches_by_name"]!.AsObject();
        Assert.False(launches.ContainsKey(packedKernel), $"packed-kernel launches: {launches.ToJsonString()}");
        Assert.True(launches[kernel]!.GetValue<long>() > 0, $"no {kernel} launch: {launches.ToJsonString()}");
        Assert.Equal(packed["loss"]!.GetValue<double>(), pipelined["loss"]!.GetValue<double>());
    }

    /// <summary>The model's training step at <paramref name="precision"/> on ilgpu-cpu, in a bigs process with <paramref name="environment"/>.</summary>
    private JsonNode Step(string precision, IReadOnlyDictionary<string, string> environment) =>
        BigsBench.TrainingSteps(Path.Combine(work, "config.json"), "ilgpu-cpu", environment, "--precision", precision);

    private static Dictionary<string, string> Kernels(string names) => new() { [IlgpuKernelOptions.EnvironmentVariable] = names };
}
