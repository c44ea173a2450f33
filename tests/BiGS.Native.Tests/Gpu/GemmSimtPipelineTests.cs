using System.Text.RegularExpressions;
using BiGS.Native.Gpu;
using BiGS.Native.Gpu.Kernels;
using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Tensors;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// The pipelined fp32 SIMT kernel (<see cref="GemmSimtPipelineKernel"/>, <c>BIGS_GPU_KERNELS=pipelined-gemm</c>) with its
/// shared memory and PTX emulated on ILGPU's CPU accelerator, against the SIMT kernel it stands in for on the same packed
/// plan (operands packed row-major, k padded alike, so k is split at the same places): each accumulator takes the same
/// products in the same k order, so the products agree to the bit in every layout, with rows and columns past whole
/// tiles (the k-major packing pads them), with more stages than buffers and fewer, with k split, with an epilogue and
/// with batches. Its PTX is checked without a device below.
/// </summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class GemmSimtPipelineTests(WideCpuAcceleratorEmulatingMma packedKernel, WideCpuAcceleratorEmulatingPipeline pipeline)
    : IClassFixture<WideCpuAcceleratorEmulatingMma>, IClassFixture<WideCpuAcceleratorEmulatingPipeline>
{
    private const string Kernel = "Gemm.SimtPipeline";

    /// <summary>
    /// (m, n, k): both edges mid-tile with 7 stages (k padded to 128: 8); one row of tiles, three columns, 4 stages; two
    /// whole tiles a side; k split in parts of 3, 3 and 2 stages; and at k 24 two parts of one stage (the prologue's
    /// second group of copies empty). The smaller tiles (each operand's copies of a stage 2 to 4 a thread, their k rows
    /// 64 or 128 floats) with edges mid-tile, in rows past the last whole 64 but inside the packing's 128, and with k split.
    /// </summary>
    [GpuTheory]
    [InlineData(140, 136, 100, "128x128/packed")]
    [InlineData(20, 300, 40, "128x128/packed")]
    [InlineData(256, 256, 64, "128x128/packed")]
    [InlineData(140, 136, 100, "128x128/k3/packed")]
    [InlineData(20, 300, 24, "128x128/k3/packed")]
    [InlineData(140, 136, 100, "64x64/packed")]
    [InlineData(140, 200, 40, "128x64/packed")]
    [InlineData(200, 72, 100, "64x128/k3/packed")]
    public void Pipelined_products_have_the_bits_of_the_packed_simt_kernel(int m, int n, int k, string plan)
    {
        var rng = new Random(m + n + k);
        foreach (string layout in new[] { "NN", "NT", "TN" })
        {
            bool transposeA = layout[0] == 'T', transposeB = layout[1] == 'T';
            var a = Matrix(rng, transposeA ? k : m, transposeA ? m : k);
            var b = Matrix(rng, transposeB ? n : k, transposeB ? k : n);
            float[] On(WideCpuAccelerator accelerator)
            {
                var c = Tensor.Empty(DType.Float32, accelerator.Device, m, n);
                Gemm(plan, accelerator, a, transposeA, b, transposeB, c, new GemmEpilogue { Alpha = 1f, Beta = 0f });
                return c.ToArray();
            }
            AssertSameBits($"{plan} {layout} m{m} n{n} k{k}", On(packedKernel), On(pipeline), n);
        }
    }

    /// <summary>
    /// The fused epilogue (alpha, beta reading c, bias, tanh GELU, the product kept) after the pipelined k loop, and batches
    /// (the z of the launch) of 4 matrices times a broadcast one and a broadcast one times 4, each broadcast operand packed
    /// once: the bits of the packed SIMT kernel's.
    /// </summary>
    [GpuFact]
    public void The_epilogue_and_batches_have_the_bits_of_the_packed_simt_kernel()
    {
        var rng = new Random(11);
        var (a, b) = (Matrix(rng, 140, 52), Matrix(rng, 52, 136));
        var (c0, bias) = (Matrix(rng, 140, 136), Matrix(rng, 1, 136));
        float[] WithEpilogue(WideCpuAccelerator accelerator)
        {
            var device = accelerator.Device;
            var c = Tensor.FromArray(c0.Cast<float>().ToArray(), 140, 136).To(device);
            var product = Tensor.Empty(DType.Float32, device, 140, 136);
            Gemm("128x128/k2/packed", accelerator, a, false, b, false, c, new GemmEpilogue
            {
                Alpha = 0.5f, Beta = 1f, Bias = Tensor.FromArray(bias.Cast<float>().ToArray(), 136).To(device), Activation = GeluKind.Tanh, Product = product,
            });
            return [.. c.ToArray(), .. product.ToArray()];
        }
        AssertSameBits("epilogue", WithEpilogue(packedKernel), WithEpilogue(pipeline), 136);

        Tensor Random(params int[] shape) =>
            Tensor.FromArray(Enumerable.Range(0, shape.Aggregate(1, (x, y) => x * y)).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), shape);
        var (batchA, broadcastA, batchB, broadcastB) = (Random(4, 140, 36), Random(1, 140, 36), Random(4, 36, 20), Random(1, 36, 20));
        foreach (var (left, right, name) in new[] { (batchA, broadcastB, "b broadcast"), (broadcastA, batchB, "a broadcast") })
        {
            float[] Batched(WideCpuAccelerator accelerator)
            {
                using var forced = GemmTileTuner.Force(GemmPlan.Parse("128x128/" + GemmPlan.PackedName, "plan"));
                return Tensor.MatMul(left.To(accelerator.Device), right.To(accelerator.Device)).ToArray();
            }
            var before = pipeline.Backend.ReadActivity();
            var pipelined = Batched(pipeline);
            Assert.True(pipeline.Backend.ReadActivity().Since(before).LaunchesByKernel.GetValueOrDefault(Kernel) == 1, $"{name}: no one {Kernel} launch");
            AssertSameBits(name, Batched(packedKernel), pipelined, 20);
        }
    }

    /// <summary>
    /// A k-step loads the thread's op(a) into gemm_fa0-3 from %0 and gemm_fa4-7 from %1, op(b) into gemm_fb0-3 from %2 and
    /// gemm_fb4-7 from %3, and its multiply-add 8 i + j adds gemm_fa i times gemm_fb j into gemm_acc 8 i + j, where
    /// <see cref="GemmKernel"/>'s accumulator (i, j) is.
    /// </summary>
    [Fact]
    public void Each_multiply_add_of_a_step_names_the_operands_of_its_accumulator()
    {
        var instructions = SimtStepOperands.Step.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(4 + 64, instructions.Length);
        string Load(string register, int first, int address) =>
            $"ld.shared.v4.f32 {{{string.Join(",", Enumerable.Range(first, 4).Select(r => $"gemm_{register}{r}"))}}}, [%{address}]";
        Assert.Equal([Load("fa", 0, 0), Load("fa", 4, 1), Load("fb", 0, 2), Load("fb", 4, 3)], instructions[..4]);
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++)
                Assert.Equal($"fma.rn.f32 gemm_acc{8 * i + j}, gemm_fa{i}, gemm_fb{j}, gemm_acc{8 * i + j}", instructions[4 + 8 * i + j]);
    }

    /// <summary>
    /// The kernel of each tile compiled to PTX for sm_80 without a device: its stages are the PTX's own array, as large as
    /// the tile's three stages (48 KB at 128 x 128, 36 at 128 x 64 and 64 x 128, 24 at 64 x 64), and ILGPU allocates no
    /// shared memory beside it; its copies are 16-byte cp.async, none zero-filling, one of each operand where the pipeline
    /// starts a stage's copies (before its loop and in it), in a loop over the thread's copies that ptxas unrolls; and its
    /// k-steps are written out, 4 128-bit shared loads for 64 multiply-adds each, with no local memory beside them.
    /// </summary>
    [Theory]
    [InlineData(typeof(GemmTile128x128), 49152)]
    [InlineData(typeof(GemmTile128x64), 36864)]
    [InlineData(typeof(GemmTile64x128), 36864)]
    [InlineData(typeof(GemmTile64x64), 24576)]
    public void Kernel_compiles_to_ptx_with_its_own_stages_copies_and_steps(Type tile, int sharedBytes)
    {
        string ptx = KernelPtx.Compile(typeof(GemmSimtPipelineKernel).GetMethod(nameof(GemmSimtPipelineKernel.Fp32))!.MakeGenericMethod(tile), 80);
        int Count(string text) => Regex.Matches(ptx, Regex.Escape(text)).Count;
        Assert.Equal(1, Count($".shared .align 16 .b8 gemm_stages[{sharedBytes}];"));
        Assert.Equal(1, Count(".shared .align 16 .b8 gemm_stages["));
        Assert.Equal(0, Count("__shared_alloca"));
        int copies = Regex.Matches(ptx, @"cp\.async\.cg\.shared\.global \[[^\]]+\], \[[^\]]+\], 16;").Count;
        Assert.True(copies == 4 && copies == Count("cp.async.cg"), $"{copies} 16-byte copies of {Count("cp.async.cg")}, expected one of each operand at each of 2 places");
        Assert.Equal($"cp.async.wait_group {GemmPipeline.Stages - 2};", Regex.Match(ptx, @"cp\.async\.wait_group \d+;").Value);
        int fmas = Count("fma.rn.f32 gemm_acc"), loads = Count("ld.shared.v4.f32 {gemm_f");
        Assert.True(fmas == 64 * GemmSimtPipelineKernel.Depth && loads == 4 * GemmSimtPipelineKernel.Depth,
            $"{fmas} multiply-adds and {loads} loads, expected a stage's {GemmSimtPipelineKernel.Depth} k-steps of 64 and 4, written out once");
        var lines = ptx.Split('\n');
        for (int i = 1; i < lines.Length - 1; i++)
            if (lines[i].Contains("ld.shared.v4.f32 {gemm_f", StringComparison.Ordinal) || lines[i].Contains("cp.async.cg", StringComparison.Ordinal))
                Assert.DoesNotContain(".local", lines[i - 1] + lines[i] + lines[i + 1], StringComparison.Ordinal);
    }

    private static float[,] Matrix(Random rng, int rows, int columns) => GemmEpilogueTests.RandomMatrix(rng, rows, columns);

    /// <summary>
    /// op(a) op(b) into <paramref name="c"/> with <paramref name="epilogue"/> on <paramref name="accelerator"/> with
    /// <paramref name="plan"/> in fp32; on the pipeline's accelerator, as one launch of the pipelined kernel.
    /// </summary>
    private void Gemm(string plan, WideCpuAccelerator accelerator, float[,] a, bool transposeA, float[,] b, bool transposeB, Tensor c, GemmEpilogue epilogue)
    {
        var onDevice = (float[,] x) => Tensor.FromArray(x.Cast<float>().ToArray(), x.GetLength(0), x.GetLength(1)).To(accelerator.Device);
        var before = accelerator.Backend.ReadActivity();
        using (GemmTileTuner.Force(GemmPlan.Parse(plan, "plan")))
        using (MatMulPrecision.Use(Precision.Fp32))
            Tensor.GemmInto(onDevice(a), transposeA, onDevice(b), transposeB, c, epilogue);
        var launches = accelerator.Backend.ReadActivity().Since(before).LaunchesByKernel;
        Assert.Equal(accelerator == pipeline ? 1 : 0, launches.GetValueOrDefault(Kernel));
    }

    private static void AssertSameBits(string what, float[] packed, float[] pipelined, int columns)
    {
        Assert.Equal(packed.Length, pipelined.Length);
        for (int i = 0; i < packed.Length; i++)
            Assert.True(packed[i] == pipelined[i], $"{what}: element ({i / columns}, {i % columns}) is {pipelined[i]} pipelined, {packed[i]} packed");
    }
}
