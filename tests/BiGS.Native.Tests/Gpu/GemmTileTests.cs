using BiGS.Native.Gpu;
using BiGS.Native.Gpu.Kernels;
using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Tensors;
using ILGPU;
using ILGPU.Runtime.CPU;
using Xunit;
using Device = BiGS.Native.Tensors.Device;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// The tile tuner's choose-and-cache logic with an injected timer (no clock involved), its environment setting, and
/// the host's choice of 128-bit loads.
/// </summary>
public class GemmTileTunerTests
{
    private static readonly GemmProblem Square = new(false, true, Precision.Fp32, 1, 256, 256, 256, true, true);

    /// <summary>Every tile with k whole, and 64 x 64 with k in 4 parts.</summary>
    private static readonly GemmPlan[] Plans = [.. GemmTiles.All.Select(tile => new GemmPlan(tile)), new(GemmTile.Tile64x64, 4)];

    [Fact]
    public void Measuring_times_each_candidate_once_per_problem_and_keeps_the_fastest()
    {
        var tuner = new GemmTileTuner(measure: true, pinned: null);
        var seconds = new Dictionary<GemmPlan, double>
        {
            [new(GemmTile.Tile64x64)] = 3e-3, [new(GemmTile.Tile128x64)] = 2e-3, [new(GemmTile.Tile64x128)] = 4e-3,
            [new(GemmTile.Tile128x128)] = 4e-3, [new(GemmTile.Tile64x64, 4)] = 1e-3,
        };
        var timed = new List<GemmPlan>();
        double Timer(GemmPlan plan)
        {
            timed.Add(plan);
            return seconds[plan];
        }

        Assert.False(tuner.TryChoose(Square, GemmTiles.All, out _));
        Assert.Equal(new GemmPlan(GemmTile.Tile64x64, 4), tuner.Measure(Square, Plans, Timer));
        Assert.Equal(Plans, timed);
        // Seen before: the kept winner, untimed, even if the timer would now say otherwise.
        seconds[new(GemmTile.Tile128x128)] = 1e-6;
        Assert.True(tuner.TryChoose(Square, GemmTiles.All, out var kept));
        Assert.Equal(new GemmPlan(GemmTile.Tile64x64, 4), kept);
        // Another layout is another problem: timed again, only among the candidates given.
        var other = Square with { TransposeB = false };
        GemmPlan[] fitting = [new(GemmTile.Tile64x64), new(GemmTile.Tile128x64)];
        Assert.False(tuner.TryChoose(other, GemmTiles.All, out _));
        Assert.Equal(new GemmPlan(GemmTile.Tile128x64), tuner.Measure(other, fitting, Timer));
        Assert.Equal([.. Plans, .. fitting], timed);
        Assert.Equal(new GemmPlan(GemmTile.Tile64x64, 4), tuner.Chosen[Square]);
        Assert.Equal(new GemmPlan(GemmTile.Tile128x64), tuner.Chosen[other]);
        Assert.Equal(4e-3, tuner.Timings[Square][new(GemmTile.Tile64x128)]);
        Assert.Equal(2, tuner.Timings[other].Count);
    }

    [Fact]
    public void Choosing_a_measured_plan_allocates_nothing()
    {
        var tuner = new GemmTileTuner(measure: true, pinned: null);
        tuner.Measure(Square, Plans, plan => (int)plan.Tile + plan.Splits);
        Assert.True(tuner.TryChoose(Square, GemmTiles.All, out _));   // compiled before counting

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) tuner.TryChoose(Square, GemmTiles.All, out _);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Fixed_mode_keeps_64x64_with_k_whole_unmeasured()
    {
        var tuner = new GemmTileTuner(measure: false, pinned: null);
        Assert.True(tuner.TryChoose(Square, GemmTiles.All, out var plan));
        Assert.Equal(new GemmPlan(GemmTile.Tile64x64, 1), plan);
        Assert.Empty(tuner.Chosen);
    }

    [Fact]
    public void Pinned_and_forced_plans_are_used_unmeasured_and_their_tile_must_fit_the_device()
    {
        var pinned = new GemmTileTuner(measure: true, pinned: new GemmPlan(GemmTile.Tile128x64, 2));
        GemmPlan Chosen(IReadOnlyList<GemmTile> tiles) => pinned.TryChoose(Square, tiles, out var plan) ? plan : throw new InvalidOperationException("to be measured");
        Assert.Equal(new GemmPlan(GemmTile.Tile128x64, 2), Chosen(GemmTiles.All));
        using (GemmTileTuner.Force(new GemmPlan(GemmTile.Tile128x128)))
            Assert.Equal(new GemmPlan(GemmTile.Tile128x128), Chosen(GemmTiles.All));
        Assert.Equal(new GemmPlan(GemmTile.Tile128x64, 2), Chosen(GemmTiles.All));
        var error = Assert.Throws<ArgumentException>(() => Chosen([GemmTile.Tile64x64]));
        Assert.Contains("128x64", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, false, false, null)]
    [InlineData("", true, true, null)]
    [InlineData(" Auto", false, false, null)]
    [InlineData("auto", true, true, null)]
    [InlineData("measure", false, true, null)]
    [InlineData(" MEASURE ", true, true, null)]
    [InlineData("128x64/k2", true, true, "128x64/k2")]
    public void The_setting_measures_where_the_device_does_by_default_everywhere_when_asked_or_pins_a_plan(
        string? value, bool measureByDefault, bool measures, string? pinned)
    {
        var tuner = GemmTileTuner.Parse(value, measureByDefault);
        Assert.Equal(measures, tuner.Measures);
        Assert.Equal(pinned, tuner.Pinned?.ToString());
    }

    [Fact]
    public void A_setting_that_is_neither_a_mode_nor_a_plan_is_an_error_naming_both_modes()
    {
        var error = Assert.Throws<ArgumentException>(() => GemmTileTuner.Parse("measured", measureByDefault: true));
        Assert.Contains(GemmTileTuner.EnvironmentVariable, error.Message, StringComparison.Ordinal);
        Assert.Contains("'measured'", error.Message, StringComparison.Ordinal);
        Assert.Contains("use auto, measure or one of", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("64x64", GemmTile.Tile64x64)]
    [InlineData("128x64", GemmTile.Tile128x64)]
    [InlineData(" 64X128", GemmTile.Tile64x128)]
    [InlineData("128x128", GemmTile.Tile128x128)]
    public void Tile_names_parse(string name, GemmTile tile)
    {
        Assert.Equal(tile, GemmTiles.Parse(name, GemmTileTuner.EnvironmentVariable));
        Assert.Equal(GemmTiles.Rows(tile) * GemmTiles.Columns(tile) / 64, GemmTiles.Threads(tile));
    }

    [Theory]
    [InlineData("64x64", GemmTile.Tile64x64, 1)]
    [InlineData("128x64/k4", GemmTile.Tile128x64, 4)]
    [InlineData("128x128/K3", GemmTile.Tile128x128, 3)]
    [InlineData("64x128/k1", GemmTile.Tile64x128, 1)]
    [InlineData("128x64/Packed", GemmTile.Tile128x64, 1, true)]
    [InlineData("128x128/k4/packed", GemmTile.Tile128x128, 4, true)]
    public void Plan_names_parse_and_print_back(string name, GemmTile tile, int splits, bool packed = false)
    {
        var plan = GemmPlan.Parse(name, GemmTileTuner.EnvironmentVariable);
        Assert.Equal(new GemmPlan(tile, splits, packed), plan);
        Assert.Equal(plan, GemmPlan.Parse(plan.ToString(), "again"));
    }

    [Theory]
    [InlineData("64x64/4")]
    [InlineData("64x64/k0")]
    [InlineData("64x64/k2/k2")]
    [InlineData("64x64/kx")]
    [InlineData("64x64/packed/k2")]
    [InlineData("64x64/packed/packed")]
    public void A_malformed_split_is_an_error_naming_the_setting(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => GemmPlan.Parse(name, GemmTileTuner.EnvironmentVariable));
        Assert.Contains(GemmTileTuner.EnvironmentVariable, error.Message, StringComparison.Ordinal);
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// On an H200 (132 multiprocessors of 2048 threads): the 768 x 768 products of a step on 1024 tokens get split
    /// candidates (parts of at least 128 of k), and so do the weight gradients of a step on 16384 tokens; the vocabulary
    /// product (1024 x 30522 x 768) and the forward product on 16384 tokens none, since their unsplit launches already
    /// fill the device.
    /// </summary>
    [Fact]
    public void Split_candidates_go_to_long_k_products_that_leave_the_device_idle()
    {
        const long h200 = 132 * 2048;
        string Names(GemmProblem problem) => string.Join(" ", GemmPlans.Candidates(problem, GemmTiles.All, h200));
        var forward = new GemmProblem(false, true, Precision.Fp32, 1, 1024, 768, 768, true, true);
        Assert.Equal("64x64 64x64/k2 64x64/k4 128x64 128x64/k2 128x64/k4 64x128 64x128/k2 64x128/k4 128x128 128x128/k2 128x128/k4", Names(forward));
        var weightGradient = forward with { TransposeA = true, TransposeB = false, M = 768, K = 1024 };
        const string weightGradientPlans = "64x64 64x64/k2 64x64/k4 64x64/k8 128x64 128x64/k2 128x64/k4 128x64/k8 64x128 64x128/k2 64x128/k4 64x128/k8 128x128 128x128/k2 128x128/k4 128x128/k8";
        // a TN product: each plan again with the operands packed into the NT layout
        Assert.Equal(weightGradientPlans + " " + string.Join(" ", weightGradientPlans.Split(' ').Select(plan => plan + "/packed")), Names(weightGradient));
        // the weight gradients of a step on 16384 tokens: k = 16384, 144 groups of 64 threads
        Assert.Equal(Names(weightGradient), Names(weightGradient with { K = 16384 }));
        Assert.Equal("64x64 128x64 64x128 128x128", Names(forward with { N = 30522 }));
        // 16384 x 768 with 64 x 64 tiles: 3072 groups of 64 threads, 196608 of the 270336; split in 2 they would not fit
        Assert.Equal("64x64 128x64 64x128 128x128", Names(forward with { M = 16384 }));
        // k = 300 ends mid-stage (packing pads it), and so do rows of 300 floats mid-vector
        Assert.Equal("64x64 64x64/k2 128x64 128x64/k2 64x128 64x128/k2 128x128 128x128/k2 64x64/packed 64x64/k2/packed 128x64/packed 128x64/k2/packed 64x128/packed 64x128/k2/packed 128x128/packed 128x128/k2/packed",
            Names(forward with { K = 300 }));
        Assert.Equal("64x64 128x64 64x128 128x128 64x64/packed 128x64/packed 64x128/packed 128x128/packed",
            Names(forward with { N = 30522, TransposeB = false, VectorB = false }));
        // the tensor-core kernel: 64 x 64 tiles of 128 threads (192 groups for the forward product) and 128 x 128 tiles
        // of 256 (48 groups)
        string TensorCorePlans(bool packedRunsOtherKernel) => string.Join(" ", GemmPlans.Candidates(forward, GemmTensorCoreKernel.Tiles, h200,
            tile => GemmTensorCoreKernel.Threads(GemmTensorCoreKernel.TileFor(tile)), packedRunsOtherKernel));
        const string tensorCorePlans = "64x64 64x64/k2 64x64/k4 128x128 128x128/k2 128x128/k4";
        Assert.Equal(tensorCorePlans, TensorCorePlans(packedRunsOtherKernel: false));
        // where packing rounds the operands (the tensor-core kernel's), each plan again packed, though the product is NT and aligned
        Assert.Equal(tensorCorePlans + " " + string.Join(" ", tensorCorePlans.Split(' ').Select(plan => plan + "/packed")), TensorCorePlans(packedRunsOtherKernel: true));
        Assert.Empty(GemmPlans.Candidates(forward with { K = 0 }, GemmTensorCoreKernel.Tiles, h200, packedRunsOtherKernel: true).Where(plan => plan.Packed));
    }

    /// <summary>
    /// The tensor-core candidates (<see cref="GemmPlans.TensorCoreCandidates"/>) of the forward product on 16384 tokens
    /// (16384 x 768 x 768, NT) on an H200: the tensor-core kernel's tiles, none split (64 x 64: 3072 groups of 128
    /// threads; 128 x 128: 768 of 256, twice that past the device's 270,336), each packed too; with the pipelined kernel,
    /// the packed plans of every tile on it instead, whose groups are a warp per 64 x 64 block (3072 groups of 32 threads
    /// at 64 x 64, 768 of 128 at 128 x 128: each fits split in two, not in four).
    /// </summary>
    [Fact]
    public void Pipelined_tensor_core_candidates_are_the_packed_plans_of_every_tile_counted_by_its_groups()
    {
        const long h200 = 132 * 2048;
        var forward = new GemmProblem(false, true, Precision.Tf32, 1, 16384, 768, 768, true, true);
        string Names(bool pipelined) => string.Join(" ", GemmPlans.TensorCoreCandidates(forward, GemmTiles.All, h200, pipelined));
        Assert.Equal("64x64 128x128 64x64/packed 128x128/packed", Names(pipelined: false));
        Assert.Equal("64x64 128x128 64x64/packed 64x64/k2/packed 128x64/packed 128x64/k2/packed 64x128/packed 64x128/k2/packed 128x128/packed 128x128/k2/packed",
            Names(pipelined: true));
    }

    /// <summary>
    /// Each kernel's stages fit the staging registers (at most four slots of four floats per operand and thread):
    /// the SIMT tiles' op(a) and op(b) stages of 16 along k, and the tensor-core tiles' of 32 (64 x 64) and 16 (128 x 128).
    /// </summary>
    [Fact]
    public void Every_stage_fits_the_staging_registers()
    {
        foreach (var tile in GemmTiles.All)
            foreach (int outer in new[] { GemmTiles.Rows(tile), GemmTiles.Columns(tile) })
                Assert.InRange(StagedRegisters.Slots(outer, GemmKernel.Depth, GemmTiles.Threads(tile)), 1, StagedRegisters.MaxSlots);
        foreach (ITensorCoreTile tile in new ITensorCoreTile[] { new TensorCoreTile64x64(), new TensorCoreTile128x128() })
            Assert.InRange(StagedRegisters.Slots(tile.Size, tile.Depth, GemmTensorCoreKernel.Threads(tile)), 1, StagedRegisters.MaxSlots);
    }

    [Theory]
    [InlineData(768, 4, 16, 192, 4)]
    [InlineData(1024, 8, 16, 128, 8)]
    [InlineData(36, 4, 16, 16, 3)]      // 3 stages: no more parts than stages
    [InlineData(127, 3, 16, 48, 3)]     // 8 stages in 3, 3, 2
    [InlineData(0, 4, 16, 16, 1)]
    [InlineData(20, 1, 16, 32, 1)]
    [InlineData(100, 3, 32, 64, 2)]     // the tensor-core kernel's stages of 32: 4 stages in 2, 2
    [InlineData(768, 4, 32, 192, 4)]
    public void Split_depths_are_whole_stages(int k, int splits, int stage, int depth, int parts)
    {
        Assert.Equal(depth, GemmSplitK.DepthFor(k, splits, stage));
        Assert.Equal(parts, GemmSplitK.PartsOf(k, depth));
    }

    [Fact]
    public void An_unknown_tile_name_is_an_error_naming_the_setting()
    {
        var error = Assert.Throws<ArgumentException>(() => GemmTiles.Parse("96x96", GemmTileTuner.EnvironmentVariable));
        Assert.Contains(GemmTileTuner.EnvironmentVariable, error.Message, StringComparison.Ordinal);
        Assert.Contains("96x96", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 768, 0, true)]
    [InlineData(1024, 768, 768 * 512, true)]
    [InlineData(2, 768, 0, false)]         // a view starting mid-vector
    [InlineData(0, 30522, 0, false)]       // the vocabulary as leading dimension: rows start mid-vector
    [InlineData(0, 768, 768 * 7 + 2, false)]
    public void Vector_loads_need_offset_leading_dimension_and_batch_stride_in_whole_vectors(long offset, int ld, long stride, bool vector) =>
        Assert.Equal(vector, GemmStagedOperand.Vectorizable(offset, ld, stride));

    /// <summary>
    /// The launches cover c with the whole-tile kernel (no bounds checks) on every tile inside c, and the bounds-checked
    /// one on the last column and row of tiles where n or m ends mid-tile; on every tile where k, a part of k or an
    /// operand's alignment meets an edge, or where no tile is whole. Blocks as (first row tile, first column tile, row
    /// tiles, column tiles, whole), 128 x 128 tiles, stages of 16.
    /// </summary>
    [Theory]
    [InlineData(1024, 3072, 768, 768, 1, 1, "0 0 8 24 W")]                          // a BiGS-base forward product
    [InlineData(1024, 3072, 768, 192, 1, 1, "0 0 8 24 W")]                          // k in 4 parts of 12 stages
    [InlineData(153, 768, 768, 768, 1, 1, "0 0 1 6 W | 1 0 1 6 E")]                 // the masked rows: m ends mid-tile
    [InlineData(1024, 30522, 768, 768, 1, 1, "0 0 8 238 W | 0 238 8 1 E")]          // the vocabulary: n ends mid-tile
    [InlineData(153, 30522, 768, 768, 1, 1, "0 0 1 238 W | 0 238 2 1 E | 1 0 1 238 E")] // both, the corner in the column
    [InlineData(100, 768, 768, 768, 1, 1, "0 0 1 6 E")]                             // no whole row of tiles
    [InlineData(1024, 768, 776, 776, 1, 1, "0 0 8 6 E")]                            // k not a multiple of the stage
    [InlineData(1024, 768, 768, 200, 1, 1, "0 0 8 6 E")]                            // parts of k ending mid-stage
    [InlineData(1024, 768, 0, 16, 1, 1, "0 0 8 6 E")]                               // no k: the first stage would read outside
    [InlineData(1024, 768, 768, 768, 0, 1, "0 0 8 6 E")]                            // a without 128-bit loads
    [InlineData(1024, 768, 768, 768, 1, 0, "0 0 8 6 E")]                            // b without 128-bit loads
    public void Whole_tiles_run_without_bounds_checks_and_only_the_edge_tiles_with_them(int m, int n, int k, int partDepth, int vectorA,
        int vectorB, string blocks)
    {
        var shape = new GemmShape(0, 1, m, n, k, k, k, 0, 0, 1f, 0f, 0, 0, 0, 0, Precision.Fp32, vectorA, vectorB, 0, 0);
        var found = new GemmTileBlock[GemmTileBlocks.Most];
        var described = found[..GemmTileBlocks.Of(shape, 128, 128, 16, partDepth, found)]
            .Select(block => $"{block.FirstRowTile} {block.FirstColumnTile} {block.RowTiles} {block.ColumnTiles} {(block.Whole ? 'W' : 'E')}");
        Assert.Equal(blocks, string.Join(" | ", described));
    }
}

/// <summary>
/// Every SIMT tile configuration, with k whole and split, with scalar and 128-bit loads, in every layout against the
/// double reference at awkward sizes (k never a multiple of the 16-deep stage) and at whole tiles (the kernels compiled
/// without bounds checks, <see cref="WholeTiles"/>), including the accumulate-into-c epilogue (beta 1).
/// </summary>
public abstract class GemmTileConfigurationTests
{
    /// <summary>
    /// Unaligned leading dimensions (scalar loads) and aligned ones (128-bit loads); m above 128 in one of each; then
    /// shapes whole for every tile (128 x 128 at most) and stage (32 deep at most), whole in every split plan below too,
    /// one of them two tiles of 128 by rows and three stages of 32 by k; last, whole tiles inside c with m and n ending
    /// mid-tile for every tile, k whole (<see cref="GemmTileBlocks"/>: a whole block and two edge blocks).
    /// </summary>
    private static readonly (int M, int N, int K)[] Shapes =
        [(1, 1, 1), (7, 33, 127), (129, 7, 33), (36, 44, 20), (132, 8, 36), (128, 128, 64), (256, 128, 96), (196, 136, 64)];

    /// <summary>The device under test.</summary>
    protected abstract Device Device { get; }

    /// <summary>
    /// Every tile configuration with k whole, split plans whose parts end mid-stage in the shapes above, and packed plans
    /// (the operands copied into the NT layout, k padded to whole stages), which every precision runs in every layout:
    /// with <c>BIGS_GPU_KERNELS=pipelined-gemm</c> on CUDA (bench/gpu/gemm-checks.sh) on the pipelined kernels, whose
    /// tensor-core tiles copy in one round (128 x 64's b, 128 x 128) or two (64 x 64's a and b, 64 x 128's b).
    /// </summary>
    public static TheoryData<string> Plans() =>
        [.. GemmTiles.All.Select(GemmTiles.Name), "64x64/k2", "64x64/k3", "128x128/k4", "128x64/packed", "128x128/k3/packed", "64x64/packed",
            "64x128/k2/packed"];

    [GpuTheory]
    [MemberData(nameof(Plans))]
    public void Every_plan_and_load_path_matches_a_double_reference(string planName)
    {
        var plan = GemmPlan.Parse(planName, "plan");
        var rng = new Random(planName.Length);
        var epilogues = GemmEpilogueTests.Epilogues().Where(e => e.Name == "plain" || e.Beta == 1f).ToArray();
        Assert.Equal(2, epilogues.Length);
        using var forced = GemmTileTuner.Force(plan);
        foreach (string layout in new[] { "NN", "NT", "TN" })
            foreach (var (m, n, k) in Shapes)
                foreach (var epilogue in epilogues)
                {
                    bool transposeA = layout[0] == 'T', transposeB = layout[1] == 'T';
                    var problem = GemmEpilogueTests.Problem.Random(rng, transposeA, transposeB, m, n, k, epilogue);
                    // fp32 runs the SIMT kernel everywhere (tf32 and bf16 run it too, except on CUDA sm_80+ and with the
                    // mma emulated: the tensor-core kernel, with the plan's split of k)
                    var precisions = plan.Packed ? [Precision.Fp32, Precision.Tf32, Precision.Bf16]
                        : layout == "NT" ? new[] { Precision.Bf16, Precision.Tf32 } : [Precision.Fp32];
                    foreach (var precision in precisions)
                        problem.Check(Device, precision, $"{planName} {layout} {MatMulPrecision.Name(precision)} m{m} n{n} k{k} {epilogue.Name}");
                }
    }

    /// <summary>
    /// A product of whole tiles (the kernel compiled without bounds checks) has the bits of the same product computed as
    /// the first 128 columns of a wider one (the kernel for any shape): both sum each element in the same order of k.
    /// </summary>
    [GpuTheory]
    [MemberData(nameof(Plans))]
    public void Whole_tile_kernels_compute_the_bits_of_the_kernels_for_any_shape(string planName)
    {
        using var forced = GemmTileTuner.Force(GemmPlan.Parse(planName, "plan"));
        const int m = 128, n = 128, k = 96, wider = n + 4;
        var rng = new Random(planName.Length);
        foreach (string layout in new[] { "NN", "NT", "TN" })
        {
            bool transposeA = layout[0] == 'T', transposeB = layout[1] == 'T';
            var a = Tensor.FromArray(GemmEpilogueTests.RandomMatrix(rng, m, k).Cast<float>().ToArray(), transposeA ? k : m, transposeA ? m : k).To(Device);
            var wideB = GemmEpilogueTests.RandomMatrix(rng, transposeB ? wider : k, transposeB ? k : wider);
            var b = new float[transposeB ? n : k, transposeB ? k : n];
            for (int i = 0; i < b.GetLength(0); i++)
                for (int j = 0; j < b.GetLength(1); j++)
                    b[i, j] = wideB[i, j];
            foreach (var precision in layout == "NT" ? new[] { Precision.Bf16, Precision.Tf32, Precision.Fp32 } : [Precision.Fp32])
            {
                var whole = Product(a, transposeA, b, transposeB, precision);
                var anyShape = Product(a, transposeA, wideB, transposeB, precision);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                        Assert.True(whole[i * n + j] == anyShape[i * wider + j],
                            $"{planName} {layout} {MatMulPrecision.Name(precision)}: c[{i},{j}] is {whole[i * n + j]} whole, {anyShape[i * wider + j]} in the wider product");
            }
        }
    }

    /// <summary>
    /// A packed plan computes the bits of the same tile's plan unpacked, in every precision and layout, k ending mid-stage:
    /// the packing rounds each operand as the unpacked kernel's staging does (on the tensor-core kernel it packs TF32
    /// values or BF16 pairs, which the kernel stages unchanged), each element is summed in the same order of k, and the
    /// zeros that pad k add nothing. A packing that rounded differently, or not at all, changes bits. m and n end mid-block
    /// of 16 past whole tiles, so that the packed product runs the whole-tile kernel (k padded whole) beside the edge one.
    /// </summary>
    [GpuTheory]
    [InlineData("64x64")]
    [InlineData("128x128")]
    public void Packed_plans_compute_the_bits_of_the_unpacked_ones(string tile)
    {
        const int m = 140, n = 136, k = 100;
        var rng = new Random(tile.Length);
        foreach (string layout in new[] { "NN", "NT", "TN" })
        {
            bool transposeA = layout[0] == 'T', transposeB = layout[1] == 'T';
            var a = Tensor.FromArray(GemmEpilogueTests.RandomMatrix(rng, m, k).Cast<float>().ToArray(), transposeA ? k : m, transposeA ? m : k).To(Device);
            var b = GemmEpilogueTests.RandomMatrix(rng, transposeB ? n : k, transposeB ? k : n);
            foreach (var precision in new[] { Precision.Fp32, Precision.Tf32, Precision.Bf16 })
            {
                float[] Run(string plan)
                {
                    using var forced = GemmTileTuner.Force(GemmPlan.Parse(plan, "plan"));
                    return Product(a, transposeA, b, transposeB, precision);
                }
                var (unpacked, packed) = (Run(tile), Run(tile + "/" + GemmPlan.PackedName));
                for (int i = 0; i < unpacked.Length; i++)
                    Assert.True(unpacked[i] == packed[i], $"{tile} {layout} {MatMulPrecision.Name(precision)}: c[{i / n},{i % n}] is {unpacked[i]} unpacked, {packed[i]} packed");
            }
        }
    }

    /// <summary>op(a) op(b) on the device under test, in <paramref name="precision"/>, as a row-major array.</summary>
    private float[] Product(Tensor a, bool transposeA, float[,] b, bool transposeB, Precision precision)
    {
        int columns = transposeB ? b.GetLength(0) : b.GetLength(1);
        var c = Tensor.Empty(DType.Float32, Device, a.Size(transposeA ? 1 : 0), columns);
        using (MatMulPrecision.Use(precision))
            Tensor.GemmInto(a, transposeA, Tensor.FromArray(b.Cast<float>().ToArray(), b.GetLength(0), b.GetLength(1)).To(Device), transposeB, c,
                new GemmEpilogue { Alpha = 1f, Beta = 0f });
        return c.ToArray();
    }
}

/// <summary>
/// On an ILGPU CPU accelerator that allows 256 threads per group (the shared ilgpu-cpu device allows 64, enough for
/// the default 64 x 64 only), in CI.
/// </summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class GemmTileConfigurationIlgpuCpuTests(WideCpuAccelerator accelerator)
    : GemmTileConfigurationTests, IClassFixture<WideCpuAccelerator>
{
    /// <inheritdoc />
    protected override Device Device => accelerator.Device;
}

/// <summary>
/// On CUDA: every SIMT tile configuration, and tf32 and bf16 on the tensor-core kernel (sm_80+) with its two tiles (a
/// 128x128 plan runs the 128 x 128 one, the others the 64 x 64 one), k whole and split.
/// </summary>
[GpuTarget(DeviceKind.Cuda)]
public sealed class GemmTileConfigurationCudaTests : GemmTileConfigurationTests
{
    /// <inheritdoc />
    protected override Device Device => TestDevices.For(GetType());
}

/// <summary>
/// tf32 and bf16 on the tensor-core kernel with its mma emulated (<see cref="IlgpuKernelOptions.EmulatedMma"/>): its
/// split plans through the backend's launch, in CI.
/// </summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class GemmTileConfigurationEmulatedMmaTests(WideCpuAcceleratorEmulatingMma accelerator)
    : GemmTileConfigurationTests, IClassFixture<WideCpuAcceleratorEmulatingMma>
{
    /// <inheritdoc />
    protected override Device Device => accelerator.Device;
}
