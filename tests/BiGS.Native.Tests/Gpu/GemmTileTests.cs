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

    [Fact]
    public void Measuring_times_each_candidate_once_per_problem_and_keeps_the_fastest()
    {
        var tuner = new GemmTileTuner(measure: true, pinned: null);
        var seconds = new Dictionary<GemmTile, double>
        {
            [GemmTile.Tile64x64] = 3e-3, [GemmTile.Tile128x64] = 2e-3, [GemmTile.Tile64x128] = 1e-3, [GemmTile.Tile128x128] = 4e-3,
        };
        var timed = new List<GemmTile>();
        double Timer(GemmTile tile)
        {
            timed.Add(tile);
            return seconds[tile];
        }

        Assert.False(tuner.TryChoose(Square, GemmTiles.All, out _));
        Assert.Equal(GemmTile.Tile64x128, tuner.Measure(Square, GemmTiles.All, Timer));
        Assert.Equal(GemmTiles.All, timed);
        // Seen before: the kept winner, untimed, even if the timer would now say otherwise.
        seconds[GemmTile.Tile128x128] = 1e-6;
        Assert.True(tuner.TryChoose(Square, GemmTiles.All, out var kept));
        Assert.Equal(GemmTile.Tile64x128, kept);
        // Another layout is another problem: timed again, only among the candidates given.
        var other = Square with { TransposeB = false };
        GemmTile[] fitting = [GemmTile.Tile64x64, GemmTile.Tile128x64];
        Assert.False(tuner.TryChoose(other, fitting, out _));
        Assert.Equal(GemmTile.Tile128x64, tuner.Measure(other, fitting, Timer));
        Assert.Equal([.. GemmTiles.All, .. fitting], timed);
        Assert.Equal(GemmTile.Tile64x128, tuner.Chosen[Square]);
        Assert.Equal(GemmTile.Tile128x64, tuner.Chosen[other]);
        Assert.Equal(4e-3, tuner.Timings[Square][GemmTile.Tile128x128]);
        Assert.Equal(2, tuner.Timings[other].Count);
    }

    [Fact]
    public void Choosing_a_measured_tile_allocates_nothing()
    {
        var tuner = new GemmTileTuner(measure: true, pinned: null);
        tuner.Measure(Square, GemmTiles.All, tile => (int)tile);
        Assert.True(tuner.TryChoose(Square, GemmTiles.All, out _));   // compiled before counting

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) tuner.TryChoose(Square, GemmTiles.All, out _);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Fixed_mode_keeps_64x64_unmeasured()
    {
        var tuner = new GemmTileTuner(measure: false, pinned: null);
        Assert.True(tuner.TryChoose(Square, GemmTiles.All, out var tile));
        Assert.Equal(GemmTile.Tile64x64, tile);
        Assert.Empty(tuner.Chosen);
    }

    [Fact]
    public void Pinned_and_forced_tiles_are_used_unmeasured_and_must_fit_the_device()
    {
        var pinned = new GemmTileTuner(measure: true, pinned: GemmTile.Tile128x64);
        GemmTile Chosen(IReadOnlyList<GemmTile> candidates) => pinned.TryChoose(Square, candidates, out var tile) ? tile : throw new InvalidOperationException("to be measured");
        Assert.Equal(GemmTile.Tile128x64, Chosen(GemmTiles.All));
        using (GemmTileTuner.Force(GemmTile.Tile128x128))
            Assert.Equal(GemmTile.Tile128x128, Chosen(GemmTiles.All));
        Assert.Equal(GemmTile.Tile128x64, Chosen(GemmTiles.All));
        var error = Assert.Throws<ArgumentException>(() => Chosen([GemmTile.Tile64x64]));
        Assert.Contains("128x64", error.Message, StringComparison.Ordinal);
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
}

/// <summary>
/// Every SIMT tile configuration, with scalar and 128-bit loads, in every layout against the double reference at
/// awkward sizes (k never a multiple of the 16-deep stage), including the accumulate-into-c epilogue (beta 1).
/// </summary>
public abstract class GemmTileConfigurationTests
{
    /// <summary>Unaligned leading dimensions (scalar loads) and aligned ones (128-bit loads); m above 128 in one of each.</summary>
    private static readonly (int M, int N, int K)[] Shapes = [(1, 1, 1), (7, 33, 127), (129, 7, 33), (36, 44, 20), (132, 8, 36)];

    /// <summary>The device under test.</summary>
    protected abstract Device Device { get; }

    /// <summary>Every tile configuration by name.</summary>
    public static TheoryData<string> Tiles() => [.. GemmTiles.All.Select(GemmTiles.Name)];

    [GpuTheory]
    [MemberData(nameof(Tiles))]
    public void Every_tile_and_load_path_matches_a_double_reference(string tileName)
    {
        var tile = GemmTiles.Parse(tileName, "tile");
        var rng = new Random(tileName.Length);
        var epilogues = GemmEpilogueTests.Epilogues().Where(e => e.Name == "plain" || e.Beta == 1f).ToArray();
        Assert.Equal(2, epilogues.Length);
        using var forced = GemmTileTuner.Force(tile);
        foreach (string layout in new[] { "NN", "NT", "TN" })
            foreach (var (m, n, k) in Shapes)
                foreach (var epilogue in epilogues)
                {
                    bool transposeA = layout[0] == 'T', transposeB = layout[1] == 'T';
                    var a = GemmEpilogueTests.RandomMatrix(rng, transposeA ? k : m, transposeA ? m : k);
                    var b = GemmEpilogueTests.RandomMatrix(rng, transposeB ? n : k, transposeB ? k : n);
                    var problem = new GemmEpilogueTests.Problem(a, transposeA, b, transposeB, m, n, k, epilogue,
                        GemmEpilogueTests.RandomMatrix(rng, m, n), GemmEpilogueTests.RandomMatrix(rng, 1, n), GemmEpilogueTests.RandomMatrix(rng, m, n));
                    // fp32 runs the SIMT kernel everywhere (bf16 runs it too, except on CUDA sm_80+: tensor cores).
                    var precision = layout == "NT" ? Precision.Bf16 : Precision.Fp32;
                    problem.Check(Device, precision, $"{tileName} {layout} {MatMulPrecision.Name(precision)} m{m} n{n} k{k} {epilogue.Name}");
                }
    }
}

/// <summary>
/// On an ILGPU CPU accelerator that allows 256 threads per group (the shared ilgpu-cpu device allows 64, enough for
/// the default 64 x 64 only), in CI.
/// </summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class GemmTileConfigurationIlgpuCpuTests(GemmTileConfigurationIlgpuCpuTests.WideCpuAccelerator accelerator)
    : GemmTileConfigurationTests, IClassFixture<GemmTileConfigurationIlgpuCpuTests.WideCpuAccelerator>
{
    /// <inheritdoc />
    protected override Device Device => accelerator.Device;

    /// <summary>An ILGPU CPU accelerator with groups of up to 256 threads (64 warps of 4), as device ilgpu-cpu:1.</summary>
    public sealed class WideCpuAccelerator : IDisposable
    {
        private readonly IlgpuBackend backend;

        public WideCpuAccelerator()
        {
            var context = Context.Create(builder => builder.EnableAlgorithms().Math(MathMode.Default).Optimize(OptimizationLevel.O1)
                .CPU(new CPUDevice(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: 64, numMultiprocessors: 1)));
            backend = new IlgpuBackend(DeviceKind.IlgpuCpu, 1, context, context.CreateCPUAccelerator(0));
        }

        /// <summary>The tensor device of the accelerator.</summary>
        public Device Device => backend.Device;

        /// <summary>Disposes the backend, with its accelerator and context.</summary>
        public void Dispose() => backend.Dispose();
    }
}

/// <summary>On CUDA (each tile forced in turn; the tuner is not involved).</summary>
[GpuTarget(DeviceKind.Cuda)]
public sealed class GemmTileConfigurationCudaTests : GemmTileConfigurationTests
{
    /// <inheritdoc />
    protected override Device Device => TestDevices.For(GetType());
}
