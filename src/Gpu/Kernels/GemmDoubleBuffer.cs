using BiGS.Native.Kernels.Cpu;
using ILGPU;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// The k loop of the SIMT and tensor-core GEMM kernels over double-buffered shared tiles. The first stage is staged
/// before the loop and the second loaded into registers; at every step the current stage is multiplied, the loaded
/// stage is stored into the other buffer (last read before the previous barrier), and the stage after it is loaded
/// into registers just before the barrier, so that the loads are in flight during the barrier and the next step's
/// multiply-adds, and one barrier per step suffices. The loads sit before the barrier on purpose: ptxas moves no load
/// across <c>bar.sync</c>, whereas loads written before the multiply-adds were moved by ptxas behind them, next to the
/// stores that use them, and each step then waited for its loads in full (kernel-sass's "LD lead" column,
/// bench/compare/README.md entry 25). Past the end of k a load takes the current stage again (in range, unused): an
/// index chosen costs one instruction where zeroed staging registers cost a move each (entry 24).
/// </summary>
internal static class GemmDoubleBuffer
{
    /// <summary>
    /// Runs <paramref name="product"/> over the stages of k [<paramref name="kBegin"/>, <paramref name="kEnd"/>),
    /// <paramref name="depth"/> at a time, with op(a) and op(b) staged into <paramref name="a"/> and <paramref name="b"/>.
    /// </summary>
    public static void Run<TProduct, TLayout>(ref TProduct product, in GemmSharedTiles<TLayout> a, in GemmSharedTiles<TLayout> b,
        int kBegin, int kEnd, int depth, int thread, int threads) where TProduct : struct, IGemmStageProduct where TLayout : struct, IGemmStageLayout
    {
        var slotsA = a.WholeSlots(thread, threads);
        var slotsB = b.WholeSlots(thread, threads);
        a.Store(a.Load(kBegin, thread, threads, slotsA), 0, thread, threads, slotsA);
        b.Store(b.Load(kBegin, thread, threads, slotsB), 0, thread, threads, slotsB);
        var nextA = a.Load(StageOrCurrent(kBegin + depth, kBegin, kEnd), thread, threads, slotsA);
        var nextB = b.Load(StageOrCurrent(kBegin + depth, kBegin, kEnd), thread, threads, slotsB);
        Group.Barrier();
        for (int k0 = kBegin, buffer = 0; k0 < kEnd; k0 += depth, buffer ^= 1)
        {
            product.Multiply(buffer);
            a.Store(nextA, buffer ^ 1, thread, threads, slotsA);
            b.Store(nextB, buffer ^ 1, thread, threads, slotsB);
            int after = StageOrCurrent(k0 + 2 * depth, k0, kEnd);
            nextA = a.Load(after, thread, threads, slotsA);
            nextB = b.Load(after, thread, threads, slotsB);
            Group.Barrier();
        }
    }

    /// <summary>Stage <paramref name="k"/> while it is inside k, else <paramref name="current"/>.</summary>
    private static int StageOrCurrent(int k, int current, int kEnd) => k < kEnd ? k : current;
}

/// <summary>What a GEMM kernel does with one staged step of k: its multiply-adds from shared buffer 0 or 1.</summary>
internal interface IGemmStageProduct
{
    /// <summary>Accumulates the products of the stage in shared buffer <paramref name="buffer"/>.</summary>
    void Multiply(int buffer);
}

/// <summary>
/// One operand's two shared buffers of <see cref="GemmDoubleBuffer"/>, <paramref name="stageSize"/> floats apart (a
/// multiple of 4), each holding outer [base, +<paramref name="outerCount"/>) by k [k0, +<paramref name="depth"/>) as
/// <paramref name="layout"/> writes it. The buffers are allocated and cut as 128-bit vectors, so that the compiler
/// knows each to be 16-byte aligned and emits vector stores (<see cref="IGemmStageLayout.WriteRun"/>) into it.
/// </summary>
internal readonly struct GemmSharedTiles<TLayout>(GemmStagedOperand operand, ArrayView<Float4> buffers, int stageSize, int outerCount,
    int depth, TLayout layout) where TLayout : struct, IGemmStageLayout
{
    /// <summary>Where the thread's whole slots are (<see cref="GemmStagedOperand.WholeSlots"/>), found once before the k loop.</summary>
    public WholeSlotPlaces WholeSlots(int thread, int threads) => operand.WholeSlots(thread, threads, outerCount, depth, layout.SpreadsAcrossK);

    /// <summary>
    /// The thread's share of the stage at <paramref name="k0"/>, in registers (<see cref="GemmStagedOperand.Load"/>),
    /// whole slots at their <paramref name="slots"/> (<see cref="WholeSlots"/>).
    /// </summary>
    public StagedRegisters Load(int k0, int thread, int threads, in WholeSlotPlaces slots) =>
        operand.Load(k0, outerCount, depth, thread, threads, layout.SpreadsAcrossK, slots);

    /// <summary>Stores what <see cref="Load"/> loaded into <paramref name="buffer"/>, whole slots at their <paramref name="slots"/>.</summary>
    public void Store(in StagedRegisters staged, int buffer, int thread, int threads, in WholeSlotPlaces slots) =>
        operand.Store(staged, outerCount, depth, thread, threads, Buffer(buffer), layout, slots);

    /// <summary>Shared buffer 0 or 1.</summary>
    public ArrayView<float> Buffer(int buffer) => buffers.SubView(buffer * (stageSize / 4), stageSize / 4).Cast<float>();
}

/// <summary>Four places (outer, k) in a stage tile, one for each element of a <see cref="Float4"/> (<see cref="IGemmStageLayout.WriteEach"/>).</summary>
internal readonly struct TilePlaces((int Outer, int K) x, (int Outer, int K) y, (int Outer, int K) z, (int Outer, int K) w)
{
    public (int Outer, int K) X => x;
    public (int Outer, int K) Y => y;
    public (int Outer, int K) Z => z;
    public (int Outer, int K) W => w;
}

/// <summary>How a kernel keeps a stage of an operand in a shared buffer: where each element goes, rounded how.</summary>
internal interface IGemmStageLayout
{
    /// <summary>
    /// Writes four of the operand's elements of the stage into <paramref name="tile"/>, each <paramref name="values"/>
    /// element at its place in <paramref name="at"/>: four stores, the values rounded together (a BF16 layout converts
    /// all four in one block, <see cref="GemmTensorCoreKernel.IBf16Packing.Quad"/>).
    /// </summary>
    void WriteEach(ArrayView<float> tile, TilePlaces at, Float4 values);

    /// <summary>
    /// Whether four elements that follow each other along k (<paramref name="alongK"/>) or along outer, from a multiple
    /// of 4, are adjacent words of the tile, which <see cref="WriteRun"/> then writes with one vector store (a warp's
    /// stores take the fewest shared-memory transactions); other runs are written element by element.
    /// </summary>
    bool RunsAreAdjacent(bool alongK);

    /// <summary>
    /// Writes four elements from (<paramref name="outer"/>, <paramref name="k"/>) on along k (<paramref name="alongK"/>)
    /// or along outer, where <see cref="RunsAreAdjacent"/>, with one vector store.
    /// </summary>
    void WriteRun(ArrayView<float> tile, int outer, int k, bool alongK, Float4 values);

    /// <summary>
    /// Whether the staging spreads a warp's loads of an operand contiguous along outer across rows of k, so that its
    /// stores to this layout do not fall in few banks (<see cref="GemmStagedOperand.Load"/>).
    /// </summary>
    bool SpreadsAcrossK { get; }
}

/// <summary>
/// fp32 words at tile[k <paramref name="kStride"/> + outer <paramref name="outerStride"/>], rounded to
/// <paramref name="precision"/>. A run along outer with <paramref name="outerStride"/> 1 is one 128-bit store (the
/// tile 16-byte aligned and <paramref name="kStride"/> a multiple of 4).
/// </summary>
internal readonly struct RoundedFloats(int kStride, int outerStride, Precision precision) : IGemmStageLayout
{
    public void WriteEach(ArrayView<float> tile, TilePlaces at, Float4 values)
    {
        tile[Index(at.X)] = GemmRounding.Round(values.X, precision);
        tile[Index(at.Y)] = GemmRounding.Round(values.Y, precision);
        tile[Index(at.Z)] = GemmRounding.Round(values.Z, precision);
        tile[Index(at.W)] = GemmRounding.Round(values.W, precision);
    }

    private int Index((int Outer, int K) place) => place.K * kStride + place.Outer * outerStride;

    /// <summary>No: a k-major tile takes consecutive elements along outer in one row, in distinct banks.</summary>
    public bool SpreadsAcrossK => false;

    public bool RunsAreAdjacent(bool alongK) => !alongK && outerStride == 1;

    public void WriteRun(ArrayView<float> tile, int outer, int k, bool alongK, Float4 values) =>
        tile.Cast<Float4>()[(k * kStride + outer) / 4] = new Float4(GemmRounding.Round(values.X, precision), GemmRounding.Round(values.Y, precision),
            GemmRounding.Round(values.Z, precision), GemmRounding.Round(values.W, precision));
}
