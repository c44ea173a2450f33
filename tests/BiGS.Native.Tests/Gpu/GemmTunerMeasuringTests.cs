using BiGS.Native.Gpu;
using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Tensors;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// The tuner's own path, which only CUDA takes by default (<c>BIGS_GEMM_TILE=measure</c> takes it on any device), on
/// ILGPU's CPU accelerator with the mma emulated and the pipelined kernels among the candidates: a new problem is timed
/// with every candidate plan (staged and packed, k whole and split, pipelined), the fastest is kept, and c ends as one
/// product with the kept plan leaves it, an accumulating epilogue included (the timings write elsewhere); the
/// candidates' kernel names, by which the GEMM bench reports their times, are distinct.
/// </summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class GemmTunerMeasuringTests(WideCpuAcceleratorEmulatingPipeline accelerator) : IClassFixture<WideCpuAcceleratorEmulatingPipeline>
{
    /// <summary>
    /// One tile of any plan (m 60, n 40), so that k split in 2 parts fits the accelerator's 256 threads where k has room
    /// for two parts (fp32 here, whose SIMT kernel runs quickly on the CPU); an accumulating epilogue (the timed launches
    /// write scratch) and one that keeps the product (they write c itself, which the kept plan's launch then overwrites).
    /// </summary>
    [GpuTheory]
    [InlineData("NT", "fp32", 260, "0.5 product + c (accumulate) + bias + residual")]
    [InlineData("NT", "tf32", 36, "bias+gelu-tanh keeping the product")]
    [InlineData("TN", "bf16", 36, "0.5 product + c (accumulate) + bias + residual")]
    public void A_new_problem_times_every_candidate_and_keeps_the_fastest_leaving_c_as_one_product(string layout, string precisionName, int k, string epilogueName)
    {
        var precision = MatMulPrecision.Parse(precisionName, "precision");
        var backend = accelerator.Backend;
        backend.GemmTuner = new GemmTileTuner(measure: true, pinned: null);
        bool transposeA = layout[0] == 'T', transposeB = layout[1] == 'T';
        var rng = new Random(k);
        const int m = 60, n = 40;
        var epilogue = GemmEpilogueTests.Epilogues().Single(e => e.Name == epilogueName);
        GemmEpilogueTests.Problem.Random(rng, transposeA, transposeB, m, n, k, epilogue)
            .Check(accelerator.Device, precision, $"{layout} {precisionName} k{k} {epilogueName}");

        var (measured, timings) = Assert.Single(backend.GemmTuner.Timings);
        Assert.Equal(backend.GemmTuner.Chosen[measured], timings.MinBy(timing => timing.Value).Key);
        Assert.Contains(timings.Keys, plan => !plan.Packed);
        Assert.Equal(k >= 2 * GemmPlans.MinimumSplitDepth, timings.Keys.Any(plan => plan.Splits > 1));
        var names = timings.Keys.Select(plan => backend.GemmKernelName(plan, precision)).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Contains(names, name => name.EndsWith(" pipelined", StringComparison.Ordinal));
        Assert.All(names, name => Assert.Equal(precision != Precision.Fp32, name.StartsWith("tensor-cores ", StringComparison.Ordinal)));
    }
}
