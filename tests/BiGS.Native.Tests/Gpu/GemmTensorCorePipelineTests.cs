using System.Text.RegularExpressions;
using BiGS.Native.Gpu;
using BiGS.Native.Gpu.Kernels;
using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Tensors;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// The pipelined tensor-core kernel (<see cref="GemmTensorCorePipelineKernel"/>, <c>BIGS_GPU_KERNELS=pipelined-gemm</c>)
/// with its shared memory and mma emulated on ILGPU's CPU accelerator, against the packed kernel's 128 x 128 tile (the
/// tile it stands in for there; at the other tiles, the one whose stages are as deep as the pipeline's, so that a split
/// k is split at the same places): each accumulator takes the same products in the same k order (two mma k-steps a
/// stage where that kernel's stage holds the same two), so the products agree to the bit in every layout and precision,
/// with rows and columns past whole tiles (zero-filled copies), with more stages than buffers and fewer, and with k
/// split. Its PTX is checked without a device below.
/// </summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class GemmTensorCorePipelineTests(WideCpuAcceleratorEmulatingMma packedKernel, WideCpuAcceleratorEmulatingPipeline pipeline)
    : IClassFixture<WideCpuAcceleratorEmulatingMma>, IClassFixture<WideCpuAcceleratorEmulatingPipeline>
{
    /// <summary>
    /// (m, n, k) at 128 x 128: both edges mid-tile with 8 tf32 stages and 4 bf16 ones (more than the 3 buffers); one row
    /// of tiles, three columns, 2 stages in either precision (fewer than the pipeline keeps in flight); two whole tiles a
    /// side; and k split (the last group of a tile adding the parts): at k 100 parts of 3, 3 and 2 stages in tf32, 2 and
    /// 2 in bf16; at k 24 parts of one stage (the prologue's second group of copies empty). The smaller tiles, whose
    /// groups have fewer warps, copy a side in two rounds of 4 where its rows are twice the group's threads / 2 (a and b
    /// at 64 x 64, a at 128 x 64, b at 64 x 128): both edges mid-tile, where a second round's copies fall outside the
    /// operand while the first round's of the same thread do not, and k split.
    /// </summary>
    [GpuTheory]
    [InlineData(140, 136, 100, "128x128/packed")]
    [InlineData(20, 300, 40, "128x128/packed")]
    [InlineData(256, 256, 64, "128x128/packed")]
    [InlineData(140, 136, 100, "128x128/k3/packed")]
    [InlineData(20, 300, 24, "128x128/k3/packed")]
    [InlineData(140, 136, 100, "64x64/packed")]
    [InlineData(140, 136, 100, "128x64/packed")]
    [InlineData(140, 136, 100, "64x128/packed")]
    [InlineData(140, 136, 100, "64x64/k3/packed")]
    [InlineData(20, 300, 24, "64x128/k3/packed")]
    public void Pipelined_products_have_the_bits_of_the_packed_kernel(int m, int n, int k, string plan)
    {
        var rng = new Random(m + n + k);
        foreach (string layout in new[] { "NN", "NT", "TN" })
        {
            bool transposeA = layout[0] == 'T', transposeB = layout[1] == 'T';
            var a = GemmEpilogueTests.RandomMatrix(rng, transposeA ? k : m, transposeA ? m : k);
            var b = GemmEpilogueTests.RandomMatrix(rng, transposeB ? n : k, transposeB ? k : n);
            foreach (var precision in new[] { Precision.Tf32, Precision.Bf16 })
            {
                string kernel = precision == Precision.Tf32 ? "Gemm.Tf32Pipeline" : "Gemm.Bf16Pipeline";
                var before = pipeline.Backend.ReadActivity();
                var pipelined = Product(pipeline.Device, plan, a, transposeA, b, transposeB, precision);
                var launches = pipeline.Backend.ReadActivity().Since(before).LaunchesByKernel;
                Assert.True(launches.GetValueOrDefault(kernel) == 1, $"{plan} {layout} {precision}: launches {string.Join(", ", launches)}, expected one {kernel}");
                var packed = Product(packedKernel.Device, At128x128(plan), a, transposeA, b, transposeB, precision);
                for (int i = 0; i < packed.Length; i++)
                    Assert.True(packed[i] == pipelined[i],
                        $"{plan} {layout} {MatMulPrecision.Name(precision)} m{m} n{n} k{k}: c[{i / n},{i % n}] is {pipelined[i]} pipelined, {packed[i]} packed");
            }
        }
    }

    /// <summary>
    /// Batches (the z of the launch): 4 matrices times a broadcast one, and a broadcast one times 4 (each broadcast operand
    /// packed once, read by every batch), in tf32 and bf16, the bits of the packed kernel's.
    /// </summary>
    [GpuFact]
    public void Batched_products_with_a_broadcast_operand_have_the_bits_of_the_packed_kernel()
    {
        var rng = new Random(7);
        Tensor Random(params int[] shape) =>
            Tensor.FromArray(Enumerable.Range(0, shape.Aggregate(1, (x, y) => x * y)).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), shape);
        var (a, broadcastA) = (Random(4, 140, 36), Random(1, 140, 36));
        var (b, broadcastB) = (Random(4, 36, 20), Random(1, 36, 20));
        foreach (var precision in new[] { Precision.Tf32, Precision.Bf16 })
            foreach (var (left, right, name) in new[] { (a, broadcastB, "b broadcast"), (broadcastA, b, "a broadcast") })
            {
                float[] On(Device device)
                {
                    using var forced = GemmTileTuner.Force(GemmPlan.Parse("128x128/" + GemmPlan.PackedName, "plan"));
                    using (MatMulPrecision.Use(precision))
                        return Tensor.MatMul(left.To(device), right.To(device)).ToArray();
                }
                var before = pipeline.Backend.ReadActivity();
                var (packed, pipelined) = (On(packedKernel.Device), On(pipeline.Device));
                string kernel = precision == Precision.Tf32 ? "Gemm.Tf32Pipeline" : "Gemm.Bf16Pipeline";
                Assert.True(pipeline.Backend.ReadActivity().Since(before).LaunchesByKernel.GetValueOrDefault(kernel) == 1, $"{name}: no one {kernel} launch");
                for (int i = 0; i < packed.Length; i++)
                    Assert.True(packed[i] == pipelined[i], $"{MatMulPrecision.Name(precision)} {name}: element {i} is {pipelined[i]} pipelined, {packed[i]} packed");
            }
    }

    /// <summary>
    /// Each of a k-step's 32 mma adds a's row tile (t / 4) mod 4 times b's column tile t mod 4 + 4 (t / 16) into
    /// accumulators 4 t on, which is where <see cref="GemmTensorCoreKernel.LaneAccumulators.Position"/> stores them and
    /// what the emulation multiplies; a's tile i is registers gemm_a 4 i on (loaded from rows 16 i on), b's column
    /// tile j registers gemm_b 4 (j / 2) + 2 (j mod 2) on (the 16 columns 16 (j / 2) on, j odd the upper 8).
    /// </summary>
    [Theory]
    [InlineData(PipelineMmaOperands.Tf32Step, "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32")]
    [InlineData(PipelineMmaOperands.Bf16Step, "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32")]
    public void Each_mma_of_a_step_names_the_fragments_of_its_accumulators(string step, string instruction)
    {
        var mmas = step.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(32, mmas.Length);
        var place = new GemmTensorCoreKernel.LaneAccumulators(0, 0, 128, 0, 128);
        for (int t = 0; t < 32; t++)
        {
            var operands = Regex.Match(mmas[t], @"^(\S+) \{([^}]*)\}, \{([^}]*)\}, \{([^}]*)\}, \{([^}]*)\}$");
            Assert.True(operands.Success, mmas[t]);
            Assert.Equal(instruction, operands.Groups[1].Value);
            string accumulators = string.Join(",", Enumerable.Range(4 * t, 4).Select(i => $"gemm_acc{i}"));
            Assert.Equal(accumulators, operands.Groups[2].Value);
            Assert.Equal(accumulators, operands.Groups[5].Value);
            // the tile's first accumulator is at (16 row tile, 8 column tile) of the warp block, lane 0
            var (row, column) = place.Position(4 * t);
            int i = row / 16, j = column / 8;
            Assert.Equal(string.Join(",", Enumerable.Range(4 * i, 4).Select(r => $"gemm_a{r}")), operands.Groups[3].Value);
            int first = 4 * (j / 2) + 2 * (j % 2);
            Assert.Equal($"gemm_b{first},gemm_b{first + 1}", operands.Groups[4].Value);
        }
    }

    /// <summary>
    /// The kernel of each tile compiled to PTX for sm_80 without a device: its stages are the PTX's own array, as large as
    /// the tile's three stages (48 KB at 128 x 128, 36 at 128 x 64 and 64 x 128, 24 at 64 x 64), and ILGPU allocates no
    /// shared memory beside it; every copy is a 16-byte cp.async with a source size, a stage's copies of both operands
    /// moving the tile's rows and columns (16 of a thread at 64 x 64's 32 threads, 12 at 128 x 64's 64, 8 at 128 x 128's
    /// 128); and a k-step's 8 fragment loads and 32 mma take no local memory.
    /// </summary>
    [Theory]
    [InlineData(nameof(GemmTensorCorePipelineKernel.Tf32), typeof(GemmTile128x128), 49152, 8, "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32")]
    [InlineData(nameof(GemmTensorCorePipelineKernel.Bf16), typeof(GemmTile128x128), 49152, 8, "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32")]
    [InlineData(nameof(GemmTensorCorePipelineKernel.Tf32), typeof(GemmTile128x64), 36864, 12, "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32")]
    [InlineData(nameof(GemmTensorCorePipelineKernel.Bf16), typeof(GemmTile64x128), 36864, 12, "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32")]
    [InlineData(nameof(GemmTensorCorePipelineKernel.Tf32), typeof(GemmTile64x64), 24576, 16, "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32")]
    [InlineData(nameof(GemmTensorCorePipelineKernel.Bf16), typeof(GemmTile64x64), 24576, 16, "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32")]
    public void Kernel_compiles_to_ptx_with_its_own_stages_copies_and_mma(string kernel, Type tile, int sharedBytes, int copiesPerStage, string mma)
    {
        string ptx = KernelPtx.Compile(typeof(GemmTensorCorePipelineKernel).GetMethod(kernel)!.MakeGenericMethod(tile), 80);
        int Count(string text) => Regex.Matches(ptx, Regex.Escape(text)).Count;
        Assert.Equal(1, Count($".shared .align 16 .b8 gemm_stages[{sharedBytes}];"));
        Assert.Single(Regex.Matches(ptx, @"\.b8 gemm_stages\["));
        Assert.Equal(0, Count("__shared_alloca"));
        Assert.Equal(0, Count("cp.async.ca"));
        int copies = Count("cp.async.cg.shared.global");
        Assert.True(copies > 0 && copies % copiesPerStage == 0, $"{kernel} {tile.Name}: {copies} 16-byte copies, expected {copiesPerStage} a stage");
        Assert.Equal(copies, Regex.Matches(ptx, @"cp\.async\.cg\.shared\.global \[[^\]]+\], \[[^\]]+\], 16, %r\d+;").Count);
        Assert.Equal($"cp.async.wait_group {GemmTensorCorePipelineKernel.Stages - 2};", Regex.Match(ptx, @"cp\.async\.wait_group \d+;").Value);
        int mmas = Count(mma), loads = Count("ld.shared.v4.b32");
        Assert.True(mmas > 0 && mmas % 32 == 0 && loads == mmas / 4, $"{kernel}: {mmas} mma and {loads} fragment loads, expected 32 and 8 a k-step");
        var lines = ptx.Split('\n');
        for (int i = 1; i < lines.Length - 1; i++)
            if (lines[i].Contains("mma.sync", StringComparison.Ordinal) || lines[i].Contains("ld.shared.v4.b32", StringComparison.Ordinal)
                || lines[i].Contains("cp.async.cg", StringComparison.Ordinal))
                Assert.DoesNotContain(".local", lines[i - 1] + lines[i] + lines[i + 1], StringComparison.Ordinal);
    }

    /// <summary><paramref name="plan"/> (a name) with the 128 x 128 tile.</summary>
    private static string At128x128(string plan) => (GemmPlan.Parse(plan, "plan") with { Tile = GemmTile.Tile128x128 }).ToString();

    /// <summary>op(a) op(b) on <paramref name="device"/> with <paramref name="plan"/>, in <paramref name="precision"/>.</summary>
    private static float[] Product(Device device, string plan, float[,] a, bool transposeA, float[,] b, bool transposeB, Precision precision)
    {
        using var forced = GemmTileTuner.Force(GemmPlan.Parse(plan, "plan"));
        var onDevice = (float[,] x) => Tensor.FromArray(x.Cast<float>().ToArray(), x.GetLength(0), x.GetLength(1)).To(device);
        var c = Tensor.Empty(DType.Float32, device, transposeA ? a.GetLength(1) : a.GetLength(0), transposeB ? b.GetLength(0) : b.GetLength(1));
        using (MatMulPrecision.Use(precision))
            Tensor.GemmInto(onDevice(a), transposeA, onDevice(b), transposeB, c, new GemmEpilogue { Alpha = 1f, Beta = 0f });
        return c.ToArray();
    }
}
