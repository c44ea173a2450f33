using BiGS.Native.Gpu.Kernels;
using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Tensors;

namespace BiGS.Native.Gpu;

/// <summary>
/// The tile configurations of the SIMT GEMM (<see cref="GemmKernel"/>): rows x columns of c per group of threads. The
/// tensor-core GEMM runs a plan of 128 x 128 with its own 128 x 128 tile and a plan of any other with its 64 x 64 one
/// (<see cref="GemmTensorCoreKernel.TileFor"/>).
/// </summary>
public enum GemmTile
{
    /// <summary>64 x 64 (<see cref="GemmTile64x64"/>), the fixed default.</summary>
    Tile64x64,

    /// <summary>128 x 64 (<see cref="GemmTile128x64"/>).</summary>
    Tile128x64,

    /// <summary>64 x 128 (<see cref="GemmTile64x128"/>).</summary>
    Tile64x128,

    /// <summary>128 x 128 (<see cref="GemmTile128x128"/>).</summary>
    Tile128x128,
}

/// <summary>Sizes and names of <see cref="GemmTile"/> values.</summary>
public static class GemmTiles
{
    /// <summary>Every configuration, in the order the tuner tries them.</summary>
    public static IReadOnlyList<GemmTile> All { get; } = Enum.GetValues<GemmTile>();

    /// <summary>Rows of c per group.</summary>
    public static int Rows(GemmTile tile) => tile is GemmTile.Tile128x64 or GemmTile.Tile128x128 ? 128 : 64;

    /// <summary>Columns of c per group.</summary>
    public static int Columns(GemmTile tile) => tile is GemmTile.Tile64x128 or GemmTile.Tile128x128 ? 128 : 64;

    /// <summary>Threads per group (each computes 8 x 8 elements of c).</summary>
    public static int Threads(GemmTile tile) => Rows(tile) * Columns(tile) / (GemmKernel.PerThread * GemmKernel.PerThread);

    /// <summary>"rowsxcolumns", e.g. "128x64", as <see cref="Parse"/> reads it.</summary>
    public static string Name(GemmTile tile) => $"{Rows(tile)}x{Columns(tile)}";

    /// <summary>The configuration called <paramref name="name"/> ("64x64", "128x64", "64x128" or "128x128").</summary>
    /// <exception cref="ArgumentException">Another name; the message names <paramref name="what"/>.</exception>
    public static GemmTile Parse(string name, string what)
    {
        foreach (var tile in All)
            if (Name(tile) == name.Trim().ToLowerInvariant()) return tile;
        throw new ArgumentException($"{what}: '{name}' is not a GEMM tile (use auto, {GemmTileTuner.MeasureEverywhere} or one of {string.Join(", ", All.Select(Name))})");
    }
}

/// <summary>
/// How the GEMM runs a problem: its tile configuration, the parts its k range is split into (1: not split; see
/// <see cref="GemmSplitK"/>), and whether both operands are first copied into the NT layout (<see cref="GemmOperandPacking"/>).
/// </summary>
public readonly record struct GemmPlan(GemmTile Tile, int Splits = 1, bool Packed = false)
{
    /// <summary>The suffix of a packed plan's name.</summary>
    public const string PackedName = "packed";

    /// <summary>64 x 64, k not split: the plan wherever the tuner does not measure.</summary>
    public static GemmPlan Default => new(GemmTile.Tile64x64);

    /// <summary>
    /// The tile's name (<see cref="GemmTiles.Name"/>), then "/k" and the parts when k is split, then "/packed" when the
    /// operands are packed: "64x64", "128x128/k4", "128x64/k2/packed".
    /// </summary>
    public override string ToString() =>
        GemmTiles.Name(Tile) + (Splits == 1 ? "" : $"/k{Splits}") + (Packed ? "/" + PackedName : "");

    /// <summary>The plan called <paramref name="name"/>, as <see cref="ToString"/> writes it.</summary>
    /// <exception cref="ArgumentException">Another name; the message names <paramref name="what"/>.</exception>
    public static GemmPlan Parse(string name, string what)
    {
        var parts = name.Split('/').Select(part => part.Trim().ToLowerInvariant()).ToList();
        var tile = GemmTiles.Parse(parts[0], what);
        bool packed = parts.Count > 1 && parts[^1] == PackedName;
        var splits = parts.Skip(1).SkipLast(packed ? 1 : 0).ToList();
        if (splits.Count == 0) return new GemmPlan(tile, 1, packed);
        return splits.Count == 1 && splits[0].StartsWith('k') && int.TryParse(splits[0].AsSpan(1), out int count) && count >= 1
            ? new GemmPlan(tile, count, packed)
            : throw new ArgumentException($"{what}: '{name}' is not a GEMM plan (a tile, optionally followed by /k and the parts k is split into, then /{PackedName}, e.g. 128x64/k4/{PackedName})");
    }
}

/// <summary>The plans a measuring tuner times.</summary>
public static class GemmPlans
{
    /// <summary>The least k a part of a split product gets (several stages, so each group amortises its epilogue).</summary>
    public const int MinimumSplitDepth = 128;

    /// <summary>
    /// The plans to time for <paramref name="problem"/>: each of <paramref name="tiles"/> (those the device runs) with k
    /// whole, and split in 2, 4 or 8 parts of at least <see cref="MinimumSplitDepth"/> while the launch's threads fit in
    /// the device's <paramref name="deviceThreads"/> (threads per multiprocessor x multiprocessors) at once: a split
    /// launch that needs a second wave gains nothing over the unsplit one. A group of a tile has
    /// <paramref name="groupThreads"/>(tile) threads when given (the tensor-core kernel's), else the SIMT kernel's. Where
    /// the operands are not already in the NT layout with k whole and 128-bit loads, or wherever packed operands run on
    /// another kernel (<paramref name="packedRunsOtherKernel"/>: the tensor-core kernel's rounded operands, the pipelined
    /// kernels; <see cref="GemmOperandPacking.Helps"/>), each of these plans again with the operands packed into it.
    /// </summary>
    public static GemmPlan[] Candidates(GemmProblem problem, IReadOnlyList<GemmTile> tiles, long deviceThreads, Func<GemmTile, int>? groupThreads = null,
        bool packedRunsOtherKernel = false)
    {
        GemmPlan[] plans = [.. tiles.SelectMany(tile => new[] { 1, 2, 4, 8 }
            .Where(splits => splits == 1
                || (problem.K >= splits * MinimumSplitDepth && Threads(problem, tile, (groupThreads ?? GemmTiles.Threads)(tile)) * splits <= deviceThreads))
            .Select(splits => new GemmPlan(tile, splits)))];
        return GemmOperandPacking.Helps(problem, packedRunsOtherKernel) ? [.. plans, .. plans.Select(plan => plan with { Packed = true })] : plans;
    }

    /// <summary>
    /// The plans to time for a tensor-core product (tf32 or bf16) with <paramref name="tiles"/>: those of the tensor-core
    /// kernel's two tiles (64 x 64 of 128 threads, 128 x 128 of 256), each also packed, since the packing rounds the
    /// operands for it, which pays in every layout. With <paramref name="pipelined"/>
    /// (<see cref="IlgpuKernelOptions.PipelinedGemm"/>) the packed plans are instead those of every tile on
    /// <see cref="GemmTensorCorePipelineKernel"/> (a warp per 64 x 64 block), whose split candidates count its groups.
    /// </summary>
    public static GemmPlan[] TensorCoreCandidates(GemmProblem problem, IReadOnlyList<GemmTile> tiles, long deviceThreads, bool pipelined)
    {
        var plans = Candidates(problem, [.. tiles.Intersect(GemmTensorCoreKernel.Tiles)], deviceThreads,
            tile => GemmTensorCoreKernel.Threads(GemmTensorCoreKernel.TileFor(tile)), packedRunsOtherKernel: true);
        return !pipelined ? plans
            : [.. plans.Where(plan => !plan.Packed),
                .. Candidates(problem, tiles, deviceThreads, GemmTensorCorePipelineKernel.Threads, packedRunsOtherKernel: true).Where(plan => plan.Packed)];
    }

    /// <summary>Threads of the unsplit launch of <paramref name="problem"/> in tiles of <paramref name="tile"/>.</summary>
    private static long Threads(GemmProblem problem, GemmTile tile, int groupThreads) =>
        (long)problem.Batch * IlgpuBackend.Groups(problem.M, GemmTiles.Rows(tile)) * IlgpuBackend.Groups(problem.N, GemmTiles.Columns(tile)) * groupThreads;
}

/// <summary>
/// One GEMM problem as the tuner tells them apart: layout, precision, sizes, and whether each operand is read with
/// 128-bit loads (all of which change which tile is fastest).
/// </summary>
public readonly record struct GemmProblem(bool TransposeA, bool TransposeB, Precision Precision, int Batch, int M, int N, int K,
    bool VectorA, bool VectorB)
{
    /// <summary>E.g. "NT fp32 1x4096x3072x768" (layout, precision, batch x m x n x k).</summary>
    public override string ToString() =>
        $"{(TransposeA ? 'T' : 'N')}{(TransposeB ? 'T' : 'N')} {MatMulPrecision.Name(Precision)} {Batch}x{M}x{N}x{K}";
}

/// <summary>
/// Chooses the GEMM's plan (<see cref="GemmPlan"/>: tile configuration and split of k, SIMT or tensor cores) per <see cref="GemmProblem"/>.
/// In measuring mode (the default on CUDA) the first time a problem is seen each candidate plan is timed once by the
/// caller's timer and the fastest is kept for the rest of the process; in fixed mode (the default elsewhere, e.g.
/// ILGPU's CPU accelerator) it is always <see cref="GemmPlan.Default"/>, untimed. The environment variable
/// <see cref="EnvironmentVariable"/> (read when a device opens) turns measuring on for every device, or it or a
/// <see cref="Force"/> scope pins one plan for every problem, untimed.
/// </summary>
public sealed class GemmTileTuner
{
    /// <summary>
    /// The environment variable: "auto" (the default: measuring on CUDA), "measure" (measuring on every device: an
    /// OpenCL GPU, or ILGPU's CPU accelerator to run the tuner's own path without a GPU) or a plan
    /// (<see cref="GemmPlan.ToString"/>) to force.
    /// </summary>
    public const string EnvironmentVariable = "BIGS_GEMM_TILE";

    /// <summary>The value of <see cref="EnvironmentVariable"/> that makes every device measure.</summary>
    public const string MeasureEverywhere = "measure";

    private static readonly AsyncLocal<GemmPlan?> Forced = new();
    private readonly FastestChoices<GemmProblem, GemmPlan> plans = new();

    /// <summary>A tuner that measures (<paramref name="measure"/>) or keeps the default plan, unless <paramref name="pinned"/> is given.</summary>
    public GemmTileTuner(bool measure, GemmPlan? pinned)
    {
        Measures = measure;
        Pinned = pinned;
    }

    /// <summary>True when unseen problems are timed per candidate plan (unless a plan is pinned or forced).</summary>
    public bool Measures { get; }

    /// <summary>The plan the environment pinned for every problem, if any.</summary>
    public GemmPlan? Pinned { get; }

    /// <summary>The plan each problem measured so far runs with, for reports (e.g. the GEMM benchmark).</summary>
    public IReadOnlyDictionary<GemmProblem, GemmPlan> Chosen => plans.Chosen;

    /// <summary>The seconds per launch each candidate took when each problem in <see cref="Chosen"/> was measured.</summary>
    public IReadOnlyDictionary<GemmProblem, IReadOnlyDictionary<GemmPlan, double>> Timings => plans.Timings;

    /// <summary>
    /// A tuner from <see cref="EnvironmentVariable"/>: measuring when <paramref name="measureByDefault"/> (a CUDA
    /// device) and the variable is unset or "auto", or when it says <see cref="MeasureEverywhere"/>; pinned when it
    /// names a plan.
    /// </summary>
    /// <exception cref="ArgumentException">The variable says something else; the message names it.</exception>
    public static GemmTileTuner FromEnvironment(bool measureByDefault) =>
        Parse(Environment.GetEnvironmentVariable(EnvironmentVariable), measureByDefault);

    /// <summary>The tuner <see cref="EnvironmentVariable"/> = <paramref name="value"/> asks for (see <see cref="FromEnvironment"/>).</summary>
    public static GemmTileTuner Parse(string? value, bool measureByDefault)
    {
        string setting = (value ?? "").Trim().ToLowerInvariant();
        return setting switch
        {
            "" or "auto" => new GemmTileTuner(measureByDefault, pinned: null),
            MeasureEverywhere => new GemmTileTuner(measure: true, pinned: null),
            _ => new GemmTileTuner(measureByDefault, GemmPlan.Parse(value!, EnvironmentVariable)),
        };
    }

    /// <summary>Makes every GEMM started in this execution flow use <paramref name="plan"/> until the scope is disposed (tests, benchmarks).</summary>
    public static IDisposable Force(GemmPlan plan)
    {
        var previous = Forced.Value;
        Forced.Value = plan;
        return new Scope(previous);
    }

    /// <summary>
    /// The plan for <paramref name="problem"/> when no measuring is needed: the forced or pinned one (its tile among
    /// <paramref name="tiles"/>, those the device can run), the default when not measuring, or the one measured before;
    /// false when the problem is new to a measuring tuner (then <see cref="Measure"/> it). Allocates nothing: every GEMM
    /// launch asks.
    /// </summary>
    /// <exception cref="ArgumentException">The forced or pinned plan's tile is not among <paramref name="tiles"/>.</exception>
    public bool TryChoose(GemmProblem problem, IReadOnlyList<GemmTile> tiles, out GemmPlan plan)
    {
        if ((Forced.Value ?? Pinned) is { } fixedPlan)
        {
            plan = tiles.Contains(fixedPlan.Tile) ? fixedPlan : throw new ArgumentException(
                $"{EnvironmentVariable}: GEMM tile {GemmTiles.Name(fixedPlan.Tile)} does not fit this device (it runs {string.Join(", ", tiles.Select(GemmTiles.Name))})");
            return true;
        }
        plan = GemmPlan.Default;
        return !Measures || plans.TryGet(problem, out plan);
    }

    /// <summary>
    /// Times each of <paramref name="candidates"/> once with <paramref name="secondsPerLaunch"/>, records the times in
    /// <see cref="Timings"/> and keeps the fastest (the first of equals) for <paramref name="problem"/> from now on.
    /// </summary>
    public GemmPlan Measure(GemmProblem problem, IReadOnlyList<GemmPlan> candidates, Func<GemmPlan, double> secondsPerLaunch) =>
        plans.Measure(problem, candidates, secondsPerLaunch);

    private sealed class Scope(GemmPlan? previous) : IDisposable
    {
        public void Dispose() => Forced.Value = previous;
    }
}
