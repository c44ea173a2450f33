using BiGS.Native.Kernels.Cpu;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// Batched SGEMM with a fused epilogue (see <see cref="GemmEpilogueStage"/>), register-blocked and tiled in shared
/// memory (SIMT; no tensor cores), specialised per tile configuration (a type argument implementing
/// <see cref="IGemmTile"/>). A group of R x C threads computes an 8R x 8C tile of c; each thread holds an 8 x 8 block of
/// accumulators in registers, at rows 4 ty + i and 4R + 4 ty + i (i &lt; 4) and columns 4 tx + j and 4C + 4 tx + j
/// (j &lt; 4) of the tile: two runs of four in each direction, so that at each k a thread reads its 8 values of op(a)
/// and its 8 of op(b) from the shared tiles with four 128-bit loads (<c>ld.shared.v4.f32</c>), where 8 rows a stride
/// apart took 8 scalar loads each. Per step of 16 along k the group stages op(a) (8R x 16) and op(b)
/// (16 x 8C) in shared memory (<see cref="GemmStagedOperand"/>: 128-bit loads where the host found the operand
/// aligned), each element loaded from global memory once and then used 8C or 8R times; each thread then does 64
/// multiply-adds per 4 shared loads. The shared tiles are double-buffered: the next step's operands are loaded into
/// registers before the current step's multiply-adds and stored into one buffer after them while the other is read,
/// so the global loads' latency is hidden behind the arithmetic and one barrier per step suffices. Operands are rounded to
/// <see cref="GemmShape.Precision"/> as they are staged (exact for fp32; the tensor cores' rounding for tf32 and bf16),
/// the sums are fp32. Launch: groups (ceil(n/8C), ceil(m/8R), batch x parts of k) of (C, R) threads, where k may be
/// split in parts whose sums the tile's last group completes (<see cref="GemmSplitK"/>).
/// </summary>
public static class GemmKernel
{
    /// <summary>Rows and columns of c per thread.</summary>
    public const int PerThread = 8;

    /// <summary>The k depth of a stage of op(a) and op(b) in shared memory.</summary>
    public const int Depth = 16;

    /// <summary>
    /// The kernel (see the class summary) over the part of k that <paramref name="split"/> gives the group; bias, operand
    /// and product are read only when the shape says so. Operands are rounded to <typeparamref name="TPrecision"/>'s
    /// precision (the shape's, by the launch), and staged with or without bounds checks as <typeparamref name="TEdges"/>
    /// says: a kernel compiled for one precision and one kind of edge holds no code for the others, so it needs fewer
    /// registers and runs fewer instructions per stage (bench/compare/README.md, entry 24).
    /// </summary>
    public static void Sgemm<TTile, TPrecision, TEdges>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split)
        where TTile : struct, IGemmTile where TPrecision : struct, IGemmPrecision where TEdges : struct, IGemmEdges
    {
        int threadRows = default(TTile).ThreadRows, threadColumns = default(TTile).ThreadColumns;
        int rows = default(TTile).Rows(), columns = default(TTile).Columns();
        int stageA = Depth * rows, stageB = Depth * columns;
        // [buffer][k][row] and [buffer][k][column], allocated as 128-bit vectors so that they are 16-byte aligned
        var vectorsA = SharedMemory.Allocate<Float4>(2 * stageA / 4);
        var vectorsB = SharedMemory.Allocate<Float4>(2 * stageB / 4);
        int tx = Group.IdxX, ty = Group.IdxY, thread = ty * threadColumns + tx, threads = threadRows * threadColumns;
        int rowBase = (s.FirstRowTile + Grid.IdxY) * rows, colBase = (s.FirstColumnTile + Grid.IdxX) * columns;
        var (batch, part) = split.BatchAndPart();
        int kBegin = part * split.Depth, kEnd = Math.Min(s.K, kBegin + split.Depth);
        bool whole = default(TEdges).Whole;
        var opA = GemmStagedOperand.A(a, batch * s.StrideA, s, rowBase, whole);
        var opB = GemmStagedOperand.B(b, batch * s.StrideB, s, colBase, whole);
        // Shared tiles are k-major ([k][row], [k][column]): element (outer, k) at k * outerCount + outer.
        var precision = default(TPrecision).Precision;
        var sharedA = new GemmSharedTiles<RoundedFloats>(opA, vectorsA, stageA, rows, Depth, new RoundedFloats(rows, 1, precision));
        var sharedB = new GemmSharedTiles<RoundedFloats>(opB, vectorsB, stageB, columns, Depth, new RoundedFloats(columns, 1, precision));
        var products = new OuterProducts(vectorsA, vectorsB, stageA / 4, stageB / 4, ty, tx, threadRows, threadColumns);
        GemmDoubleBuffer.Run(ref products, sharedA, sharedB, kBegin, kEnd, Depth, thread, threads);
        Finish(products.Accumulators, new ThreadBlock(rowBase, colBase, ty, tx, threadRows, threadColumns), c, bias, operand, product, s, split, batch, part);
    }

    /// <summary>
    /// The epilogue of a thread's 8 x 8 accumulators at <paramref name="place"/>, element by element, for its part of c
    /// inside the matrix: of the accumulators, or with k split, of the sums over every part (each group writes its
    /// part's sums; the tile's last group to arrive adds them up).
    /// </summary>
    internal static void Finish<TAccumulators>(TAccumulators acc, ThreadBlock place, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split, int batch, int part)
        where TAccumulators : struct, IThreadAccumulators
    {
        int thread = place.Thread, threads = place.Threads;
        long cFirst = batch * (long)s.M * s.N, tile = split.Tile(batch);
        if (split.Parts > 1)
        {
            for (int i = 0; i < PerThread; i++)
                for (int j = 0; j < PerThread; j++)
                    split.Partials[split.PartialIndex(tile, part, i * PerThread + j, PerThread * PerThread, thread, threads)] = acc.Get(i, j);
            if (!LastArrival.ArrivesLast(split.Arrivals, tile, split.Parts)) return;
        }
        for (int i = 0; i < PerThread; i++)
        {
            int row = place.Row(i);
            if (row >= s.M) break;
            for (int j = 0; j < PerThread; j++)
            {
                int col = place.Column(j);
                if (col >= s.N) break;
                float sum = split.Parts > 1 ? split.Total(tile, i * PerThread + j, PerThread * PerThread, thread, threads) : acc.Get(i, j);
                GemmEpilogueStage.Store(c, bias, operand, product, s, cFirst, row, col, sum);
            }
        }
        if (split.Parts > 1) LastArrival.Reset(split.Arrivals, tile);
    }

    /// <summary>
    /// Where a thread's 8 x 8 block of c lies: thread (Ty, Tx) of ThreadRows x ThreadColumns in the tile at (RowBase,
    /// ColBase), its accumulator row i at <see cref="Row"/>(i) and column j at <see cref="Column"/>(j).
    /// </summary>
    internal readonly record struct ThreadBlock(int RowBase, int ColBase, int Ty, int Tx, int ThreadRows, int ThreadColumns)
    {
        /// <summary>The thread's index in the group.</summary>
        public int Thread => Ty * ThreadColumns + Tx;

        /// <summary>Threads in the group.</summary>
        public int Threads => ThreadRows * ThreadColumns;

        /// <summary>The row of c of accumulator row <paramref name="i"/>.</summary>
        public int Row(int i) => RowBase + Position(i, Ty, ThreadRows);

        /// <summary>The column of c of accumulator column <paramref name="j"/>.</summary>
        public int Column(int j) => ColBase + Position(j, Tx, ThreadColumns);
    }

    /// <summary>
    /// The tile row (column) of a thread's i-th accumulator row (column), for thread index t of T along it: 4t + i for
    /// i &lt; 4, then 4T + 4t + i - 4 (the second run, half a tile on).
    /// </summary>
    private static int Position(int i, int t, int threads) => 4 * t + (i & 3) + (i >> 2) * 4 * threads;

    /// <summary>
    /// A thread's step of the k loop: 16 rank-one updates of its 8 x 8 accumulators from the staged tiles. In vectors, a
    /// k-row of the a tile is 2R long and the thread's runs of rows are at ty and R + ty (likewise tx and C + tx in b).
    /// </summary>
    internal struct OuterProducts(ArrayView<Float4> vectorsA, ArrayView<Float4> vectorsB, int stageVectorsA, int stageVectorsB,
        int ty, int tx, int threadRows, int threadColumns) : IGemmStageProduct
    {
        public Block8x8 Accumulators;

        /// <remarks>
        /// The 16 steps are written out (<see cref="Quarter"/>): ILGPU (1.5.3) unrolls no loop, and ptxas keeps a loop
        /// of 16 steps of 64 multiply-adds rolled, which spends a quarter of its instructions on the loop's counter,
        /// addresses and register moves. Unrolled, the loads' offsets are constants (the indices are 64-bit, so that
        /// ptxas folds them into the instruction) and ptxas overlaps each step's loads with the previous step's
        /// multiply-adds (kernel-sass, bench/compare/README.md entry 22).
        /// </remarks>
        public void Multiply(int buffer)
        {
            long a = buffer * stageVectorsA + ty, b = buffer * stageVectorsB + tx;
            Quarter(a, b, 0);
            Quarter(a, b, 4);
            Quarter(a, b, 8);
            Quarter(a, b, 12);
        }

        /// <summary>Steps k .. k + 3 of <see cref="Depth"/>, from the stage's vectors a and b of the thread's k = 0.</summary>
        private void Quarter(long a, long b, int k)
        {
            Step(a, b, k);
            Step(a, b, k + 1);
            Step(a, b, k + 2);
            Step(a, b, k + 3);
        }

        /// <summary>Step k: the rank-one update from the thread's two runs of op(a) and of op(b) at k.</summary>
        private void Step(long a, long b, int k)
        {
            long vectorA = a + 2 * threadRows * k, vectorB = b + 2 * threadColumns * k;
            Accumulators.Update(vectorsA[vectorA], vectorsA[vectorA + threadRows], vectorsB[vectorB], vectorsB[vectorB + threadColumns]);
        }
    }

    /// <summary>A thread's 8 x 8 accumulators, as sixty-four fields so they live in registers.</summary>
    internal struct Block8x8 : IThreadAccumulators
    {
        private float c00, c01, c02, c03, c04, c05, c06, c07, c10, c11, c12, c13, c14, c15, c16, c17, c20, c21, c22, c23, c24, c25, c26, c27, c30, c31, c32, c33, c34, c35, c36, c37, c40, c41, c42, c43, c44, c45, c46, c47, c50, c51, c52, c53, c54, c55, c56, c57, c60, c61, c62, c63, c64, c65, c66, c67, c70, c71, c72, c73, c74, c75, c76, c77;

        /// <summary>
        /// c[i, j] += a_i b_j (an outer product of a column of op(a) and a row of op(b)), a_0..3 from
        /// <paramref name="aLow"/>, a_4..7 from <paramref name="aHigh"/>, and b likewise.
        /// </summary>
        public void Update(Float4 aLow, Float4 aHigh, Float4 bLow, Float4 bHigh)
        {
            var (a0, a1, a2, a3, a4, a5, a6, a7) = (aLow.X, aLow.Y, aLow.Z, aLow.W, aHigh.X, aHigh.Y, aHigh.Z, aHigh.W);
            var (b0, b1, b2, b3, b4, b5, b6, b7) = (bLow.X, bLow.Y, bLow.Z, bLow.W, bHigh.X, bHigh.Y, bHigh.Z, bHigh.W);
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3; c04 += a0 * b4; c05 += a0 * b5; c06 += a0 * b6; c07 += a0 * b7;
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3; c14 += a1 * b4; c15 += a1 * b5; c16 += a1 * b6; c17 += a1 * b7;
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3; c24 += a2 * b4; c25 += a2 * b5; c26 += a2 * b6; c27 += a2 * b7;
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3; c34 += a3 * b4; c35 += a3 * b5; c36 += a3 * b6; c37 += a3 * b7;
            c40 += a4 * b0; c41 += a4 * b1; c42 += a4 * b2; c43 += a4 * b3; c44 += a4 * b4; c45 += a4 * b5; c46 += a4 * b6; c47 += a4 * b7;
            c50 += a5 * b0; c51 += a5 * b1; c52 += a5 * b2; c53 += a5 * b3; c54 += a5 * b4; c55 += a5 * b5; c56 += a5 * b6; c57 += a5 * b7;
            c60 += a6 * b0; c61 += a6 * b1; c62 += a6 * b2; c63 += a6 * b3; c64 += a6 * b4; c65 += a6 * b5; c66 += a6 * b6; c67 += a6 * b7;
            c70 += a7 * b0; c71 += a7 * b1; c72 += a7 * b2; c73 += a7 * b3; c74 += a7 * b4; c75 += a7 * b5; c76 += a7 * b6; c77 += a7 * b7;
        }

        public readonly float Get(int i, int j) => i == 0 ? Row(c00, c01, c02, c03, c04, c05, c06, c07, j)
            : i == 1 ? Row(c10, c11, c12, c13, c14, c15, c16, c17, j)
            : i == 2 ? Row(c20, c21, c22, c23, c24, c25, c26, c27, j)
            : i == 3 ? Row(c30, c31, c32, c33, c34, c35, c36, c37, j)
            : i == 4 ? Row(c40, c41, c42, c43, c44, c45, c46, c47, j)
            : i == 5 ? Row(c50, c51, c52, c53, c54, c55, c56, c57, j)
            : i == 6 ? Row(c60, c61, c62, c63, c64, c65, c66, c67, j)
            : Row(c70, c71, c72, c73, c74, c75, c76, c77, j);

        private static float Row(float v0, float v1, float v2, float v3, float v4, float v5, float v6, float v7, int j) =>
            j == 0 ? v0 : j == 1 ? v1 : j == 2 ? v2 : j == 3 ? v3 : j == 4 ? v4 : j == 5 ? v5 : j == 6 ? v6 : v7;
    }
}

/// <summary>A thread's 8 x 8 accumulators of <see cref="GemmKernel"/>'s layout, as its epilogue reads them.</summary>
internal interface IThreadAccumulators
{
    /// <summary>Accumulator (<paramref name="i"/>, <paramref name="j"/>): the sum of row i and column j of the thread's block.</summary>
    float Get(int i, int j);
}

/// <summary>
/// A tile configuration of <see cref="GemmKernel"/>: a group of <see cref="ThreadRows"/> x <see cref="ThreadColumns"/>
/// threads, each computing 8 x 8 elements of c, so the group's tile of c is (8 ThreadRows) x (8 ThreadColumns).
/// The kernel is specialised per configuration (a struct type argument), so every size is a constant in it.
/// </summary>
public interface IGemmTile
{
    /// <summary>Threads along the rows of c (the group's y dimension).</summary>
    int ThreadRows { get; }

    /// <summary>Threads along the columns of c (the group's x dimension).</summary>
    int ThreadColumns { get; }
}

/// <summary>The sides of a SIMT tile: <see cref="GemmKernel.PerThread"/> rows and columns of c a thread.</summary>
public static class GemmTileSides
{
    /// <summary>Rows of c a group of <paramref name="tile"/> computes.</summary>
    public static int Rows<TTile>(this TTile tile) where TTile : IGemmTile => GemmKernel.PerThread * tile.ThreadRows;

    /// <summary>Columns of c a group of <paramref name="tile"/> computes.</summary>
    public static int Columns<TTile>(this TTile tile) where TTile : IGemmTile => GemmKernel.PerThread * tile.ThreadColumns;
}

/// <summary>64 x 64 tiles of c, 64 threads (the default: fits small shapes and every accelerator).</summary>
public readonly struct GemmTile64x64 : IGemmTile
{
    /// <inheritdoc />
    public int ThreadRows => 8;

    /// <inheritdoc />
    public int ThreadColumns => 8;
}

/// <summary>128 x 64 tiles of c (128 rows), 128 threads.</summary>
public readonly struct GemmTile128x64 : IGemmTile
{
    /// <inheritdoc />
    public int ThreadRows => 16;

    /// <inheritdoc />
    public int ThreadColumns => 8;
}

/// <summary>64 x 128 tiles of c (128 columns), 128 threads.</summary>
public readonly struct GemmTile64x128 : IGemmTile
{
    /// <inheritdoc />
    public int ThreadRows => 8;

    /// <inheritdoc />
    public int ThreadColumns => 16;
}

/// <summary>128 x 128 tiles of c, 256 threads (most reuse per loaded element; for large shapes).</summary>
public readonly struct GemmTile128x128 : IGemmTile
{
    /// <inheritdoc />
    public int ThreadRows => 16;

    /// <inheritdoc />
    public int ThreadColumns => 16;
}

/// <summary>
/// The precision a kernel is compiled for: <see cref="GemmKernel"/> is specialised per precision (a struct type argument),
/// so that a kernel holds the rounding of its own precision only.
/// </summary>
public interface IGemmPrecision
{
    /// <summary>The operands' rounding.</summary>
    Precision Precision { get; }
}

/// <summary>Exact fp32 operands.</summary>
public readonly struct Fp32Operands : IGemmPrecision
{
    /// <inheritdoc />
    public Precision Precision => Precision.Fp32;
}

/// <summary>Operands rounded to TF32.</summary>
public readonly struct Tf32Operands : IGemmPrecision
{
    /// <inheritdoc />
    public Precision Precision => Precision.Tf32;
}

/// <summary>Operands rounded to BF16.</summary>
public readonly struct Bf16Operands : IGemmPrecision
{
    /// <inheritdoc />
    public Precision Precision => Precision.Bf16;
}

/// <summary>
/// Whether a GEMM kernel is compiled for whole tiles only (<see cref="WholeTiles"/>) or for any shape
/// (<see cref="EdgeTiles"/>). With whole tiles every group's tile of c lies inside c, k is a multiple of the stage
/// depth and both operands are aligned for 128-bit loads (<see cref="GemmTileBlocks"/>, found by the launch),
/// so the staging loads every slot with one 128-bit load and checks no bound: the kernel holds no code for partial
/// slots. Most products of a BiGS step are whole (tokens, widths and depths multiples of 128).
/// </summary>
public interface IGemmEdges
{
    /// <summary>True when every tile and stage is whole.</summary>
    bool Whole { get; }
}

/// <summary>Every tile and stage whole: no bounds checks.</summary>
public readonly struct WholeTiles : IGemmEdges
{
    /// <inheritdoc />
    public bool Whole => true;
}

/// <summary>Any shape: tiles and stages at the edges are checked element by element.</summary>
public readonly struct EdgeTiles : IGemmEdges
{
    /// <inheritdoc />
    public bool Whole => false;
}

/// <summary>
/// One GEMM operand seen by a group: op(a)'s rows or op(b)'s columns (the "outer" index) from
/// a base index, by k, with the staging of a tile of it into shared memory, shared by the SIMT and
/// tensor-core kernels. Element (outer, k) is at First + outer Ld + k when k is the contiguous dimension in memory,
/// else at First + k Ld + outer.
/// </summary>
public readonly struct GemmStagedOperand
{
    private readonly ArrayView<float> values;
    private readonly long first;
    private readonly int ld, outerBase, outerLimit, kLimit;
    private readonly bool kContiguous, vector, whole, viewPerSlot;

    private GemmStagedOperand(ArrayView<float> values, long first, int ld, bool kContiguous, int outerBase, int outerLimit,
        int kLimit, bool vector, bool whole, bool viewPerSlot = false)
    {
        this.values = values;
        this.first = first;
        this.ld = ld;
        this.kContiguous = kContiguous;
        this.outerBase = outerBase;
        this.outerLimit = outerLimit;
        this.kLimit = kLimit;
        this.vector = vector;
        this.whole = whole;
        this.viewPerSlot = viewPerSlot;
    }

    /// <summary>
    /// op(a) of the product starting at <paramref name="first"/>, rows from <paramref name="rowBase"/>; every slot
    /// inside the matrix and aligned when <paramref name="whole"/> (<see cref="IGemmEdges"/>). A kernel that only ever
    /// runs on operands packed for the tensor cores (<paramref name="packed"/>, a constant in it) stages their row pairs
    /// (<see cref="RowPairs"/>).
    /// </summary>
    public static GemmStagedOperand A(ArrayView<float> a, long first, GemmShape s, int rowBase, bool whole, bool packed = false) =>
        packed ? RowPairs(a, first, s.Lda, s.M, s.K, rowBase, whole) : new(a, first, s.Lda, s.TransA == 0, rowBase, s.M, s.K, whole || s.VectorA != 0, whole);

    /// <summary>op(b) of the product starting at <paramref name="first"/>, columns from <paramref name="colBase"/>, as <see cref="A"/>.</summary>
    public static GemmStagedOperand B(ArrayView<float> b, long first, GemmShape s, int colBase, bool whole, bool packed = false) =>
        packed ? RowPairs(b, first, s.Ldb, s.N, s.K, colBase, whole) : new(b, first, s.Ldb, s.TransB != 0, colBase, s.N, s.K, whole || s.VectorB != 0, whole);

    /// <summary>
    /// An operand of <paramref name="rows"/> rows packed in row pairs for the tensor cores (<see cref="GemmOperandPacking"/>,
    /// <see cref="PackedFragments"/>): its outer index is the row pair (a tile's rows from <paramref name="rowBase"/>, a
    /// multiple of 16, are the pairs from half of it), its k the <paramref name="k"/> words of a pair, contiguous and
    /// aligned, so that the staging holds no path for other layouts. Each whole slot gets a view of its own
    /// (<see cref="WholeSlots"/>).
    /// </summary>
    private static GemmStagedOperand RowPairs(ArrayView<float> values, long first, int ld, int rows, int k, int rowBase, bool whole) =>
        new(values, first, ld, kContiguous: true, rowBase / 2, GemmOperandPacking.RowPairs(rows), k, vector: true, whole, viewPerSlot: true);

    /// <summary>
    /// True when a kernel with stages <paramref name="stage"/> deep, k split in parts <paramref name="partDepth"/> deep,
    /// meets no edge along k in the product of <paramref name="s"/>: k and the parts are whole multiples of the stage, k
    /// is not 0, and both operands take 128-bit loads. Then every tile of c that lies inside c is whole
    /// (<see cref="IGemmEdges"/>, <see cref="GemmTileBlocks"/>).
    /// </summary>
    public static bool WholeAlongK(GemmShape s, int stage, int partDepth) =>
        s.K > 0 && s.K % stage == 0 && partDepth % stage == 0 && s.VectorA != 0 && s.VectorB != 0;

    /// <summary>
    /// The thread's share of the stage of outer [base, +<paramref name="outerCount"/>) by k [<paramref name="k0"/>,
    /// +<paramref name="depth"/>), 0 outside the matrix, loaded from global memory into registers, four elements per
    /// slot of <see cref="StagedRegisters"/> (<see cref="SlotElement"/>; <paramref name="spread"/>: the layout's
    /// <see cref="IGemmStageLayout.SpreadsAcrossK"/>; whole slots from their <paramref name="slots"/>,
    /// <see cref="WholeSlots"/>). A kernel loads the next stage a step before it stores it to shared memory, so
    /// that the loads are in flight during the multiply-adds (<see cref="GemmDoubleBuffer"/>).
    /// </summary>
    internal StagedRegisters Load(int k0, int outerCount, int depth, int thread, int threads, bool spread, in WholeSlotPlaces slots)
    {
        var staged = default(StagedRegisters);
        for (int q = 0; q < StagedRegisters.Slots(outerCount, depth, threads); q++)
            staged.Set(q, LoadSlot(q, k0, outerCount, depth, thread, threads, spread, slots));
        return staged;
    }

    /// <summary>
    /// Stores what <see cref="Load"/> loaded into <paramref name="tile"/>, as <paramref name="layout"/> writes it (whole
    /// slots at their <paramref name="slots"/>).
    /// </summary>
    internal void Store<TLayout>(in StagedRegisters staged, int outerCount, int depth, int thread, int threads, ArrayView<float> tile, TLayout layout, in WholeSlotPlaces slots)
        where TLayout : struct, IGemmStageLayout
    {
        int slotCount = StagedRegisters.Slots(outerCount, depth, threads);
        if (whole)
        {
            for (int q = 0; q < slotCount; q++) WriteVectorSlot(tile, layout, slots.Place(q), staged.Get(q));
            return;
        }
        bool spread = layout.SpreadsAcrossK;
        for (int q = 0; q < slotCount; q++)
        {
            var v = staged.Get(q);
            if (vector)
            {
                WriteVectorSlot(tile, layout, VectorSlotPosition(q, thread, threads, outerCount, depth, spread), v);
                continue;
            }
            layout.WriteEach(tile, new TilePlaces(SlotPosition(q, 0, thread, threads, outerCount, depth, spread),
                SlotPosition(q, 1, thread, threads, outerCount, depth, spread), SlotPosition(q, 2, thread, threads, outerCount, depth, spread),
                SlotPosition(q, 3, thread, threads, outerCount, depth, spread)), v);
        }
    }

    /// <summary>
    /// Writes a vector slot, four consecutive elements along the contiguous dimension (<see cref="SlotElement"/>), from
    /// tile position <paramref name="at"/> on: one vector store where they are adjacent in the tile, else four stores
    /// from the first one's place. Each direction is its own branch, so that the four places are constant offsets from
    /// the first in each (with the direction a run-time value, ptxas computed each place in full).
    /// </summary>
    private void WriteVectorSlot<TLayout>(ArrayView<float> tile, TLayout layout, (int Outer, int K) at, Float4 v) where TLayout : struct, IGemmStageLayout
    {
        if (kContiguous) WriteRun(tile, layout, at, alongK: true, v);
        else WriteRun(tile, layout, at, alongK: false, v);
    }

    /// <summary>
    /// Writes four elements from tile position <paramref name="at"/> on along k (<paramref name="alongK"/>) or along
    /// outer: one vector store where they are adjacent in the tile, else element by element.
    /// </summary>
    private static void WriteRun<TLayout>(ArrayView<float> tile, TLayout layout, (int Outer, int K) at, bool alongK, Float4 v)
        where TLayout : struct, IGemmStageLayout
    {
        if (layout.RunsAreAdjacent(alongK))
        {
            layout.WriteRun(tile, at.Outer, at.K, alongK, v);
            return;
        }
        int stepK = alongK ? 1 : 0, stepOuter = 1 - stepK;
        layout.WriteEach(tile, new TilePlaces(at, (at.Outer + stepOuter, at.K + stepK), (at.Outer + 2 * stepOuter, at.K + 2 * stepK),
            (at.Outer + 3 * stepOuter, at.K + 3 * stepK)), v);
    }

    /// <summary>
    /// Where element <paramref name="j"/> of the thread's slot <paramref name="q"/> goes in the tile (outer, k): what
    /// <see cref="Store"/> writes where (<see cref="SlotElement"/>).
    /// </summary>
    internal (int Outer, int K) SlotPosition(int q, int j, int thread, int threads, int outerCount, int depth, bool spread) =>
        Position(SlotElement(q, j, thread, threads, outerCount, spread), outerCount, depth);

    /// <summary>
    /// <see cref="SlotPosition"/> of vector slot <paramref name="q"/>'s first element, as the place of the thread's slot 0
    /// plus that of thread 0's slot q. The two add up to the same place because a group's slots cover whole rows of the
    /// tile at a time: 4 x threads elements are a multiple of both sides (and, spread, a group's warps a multiple or a
    /// divisor of a row's blocks), so no carry crosses from the thread's part into the slot's. Apart, the slot's part
    /// is a constant in each unrolled slot, and the thread's part is found once (bench/compare/README.md, entry 25).
    /// </summary>
    internal (int Outer, int K) VectorSlotPosition(int q, int thread, int threads, int outerCount, int depth, bool spread)
    {
        var (threadOuter, threadK) = ThreadPart(thread, threads, outerCount, depth, spread);
        var (slotOuter, slotK) = SlotPart(q, threads, outerCount, depth, spread);
        return (threadOuter + slotOuter, threadK + slotK);
    }

    /// <summary>The thread's part of <see cref="VectorSlotPosition"/>: the place of its slot 0.</summary>
    private (int Outer, int K) ThreadPart(int thread, int threads, int outerCount, int depth, bool spread) =>
        SlotPosition(0, 0, thread, threads, outerCount, depth, spread);

    /// <summary>The slot's part of <see cref="VectorSlotPosition"/>: the place of thread 0's slot <paramref name="q"/>.</summary>
    private (int Outer, int K) SlotPart(int q, int threads, int outerCount, int depth, bool spread) =>
        SlotPosition(q, 0, 0, threads, outerCount, depth, spread);

    /// <summary>
    /// The tile element (in memory order) of element <paramref name="j"/> of slot <paramref name="q"/>: the group's
    /// threads walk the operand's contiguous dimension together (coalesced), with one 128-bit load per slot where the host
    /// found the operand aligned (<see cref="GemmShape.VectorA"/>: four consecutive elements), else four scalar loads a
    /// group's width apart. With <paramref name="spread"/>, a warp's loads of an operand contiguous along outer take a
    /// block of several rows of k instead (<see cref="SpreadAcrossK"/>): 16 rows of 2 vectors, or 4 rows of 8 elements.
    /// </summary>
    private int SlotElement(int q, int j, int thread, int threads, int outerCount, bool spread)
    {
        bool spreadHere = spread && !kContiguous;
        if (!vector)
        {
            int element = (q * 4 + j) * threads + thread;
            return spreadHere ? SpreadAcrossK(element, outerCount, columnsLog2: 3) : element;
        }
        int slot = q * threads + thread;
        return (spreadHere ? SpreadAcrossK(slot, outerCount >> 2, columnsLog2: 1) : slot) * 4 + j;
    }

    /// <summary>
    /// Unit <paramref name="unit"/> (a vector or an element, in the order of the group's slots) of a stage contiguous
    /// along outer, <paramref name="unitsPerRow"/> a row of k, placed so that each warp takes a block of C = 2^columnsLog2
    /// consecutive units in each of 32 / C rows: lane l of the units' warp w takes row (32 / C) (w / B) + l / C and unit
    /// C (w % B) + l % C of it, B = unitsPerRow / C blocks a row. Returned in memory order (row unitsPerRow + unit).
    /// Unspread, a warp's 32 units lie in 1 or 2 rows, so that its store of one element of each to a k-contiguous tile
    /// whose rows are padded by 4 words falls in 8 or 2 banks; spread, in 32 (GemmStagingBankTests). Needs a stage
    /// depth that 32 / C divides and a group of whole warps.
    /// </summary>
    private static int SpreadAcrossK(int unit, int unitsPerRow, int columnsLog2)
    {
        int lane = unit & 31, warp = unit >> 5, blocksLog2 = PowerOfTwo.Log2(unitsPerRow) - columnsLog2;
        int k = ((warp >> blocksLog2) << (5 - columnsLog2)) + (lane >> columnsLog2);
        int along = ((warp & ((1 << blocksLog2) - 1)) << columnsLog2) + (lane & ((1 << columnsLog2) - 1));
        return (k << PowerOfTwo.Log2(unitsPerRow)) + along;
    }

    /// <summary>Slot <paramref name="q"/> of the stage at <paramref name="k0"/>, 0 outside the matrix.</summary>
    private Float4 LoadSlot(int q, int k0, int outerCount, int depth, int thread, int threads, bool spread, in WholeSlotPlaces slots)
    {
        // A slot's own view is indexed by the stage alone: adding its vector (0) too, ptxas widened the index in 64 bits
        // again (7 more instructions a k step, entry 34).
        if (whole) return viewPerSlot ? slots.Vectors(q)[StageVectors(k0)] : slots.Vectors(q)[slots.Vector(q) + StageVectors(k0)];
        if (vector)
        {
            var (_, _, at, inside) = Locate(SlotElement(q, 0, thread, threads, outerCount, spread), k0, outerCount, depth, 4);
            // One 128-bit load (ld.v4.f32): at is a multiple of 4 and the view 16-byte aligned (checked on the host).
            if (inside == 4) return values.Cast<Float4>()[at / 4];
            return new Float4(ValueOrZero(at, 0, inside), ValueOrZero(at, 1, inside), ValueOrZero(at, 2, inside), ValueOrZero(at, 3, inside));
        }
        return new Float4(ScalarOrZero(q, 0, k0, outerCount, depth, thread, threads, spread), ScalarOrZero(q, 1, k0, outerCount, depth, thread, threads, spread),
            ScalarOrZero(q, 2, k0, outerCount, depth, thread, threads, spread), ScalarOrZero(q, 3, k0, outerCount, depth, thread, threads, spread));
    }

    /// <summary>
    /// The vector index (in 128-bit vectors from element 0) of the thread's whole slot 0 in the stage at k = 0: (first +
    /// outer ld + k) / 4 or (first + k ld + outer) / 4, each term a multiple of 4 in a whole tile. Slot q is
    /// <see cref="SlotVector"/> further (<see cref="VectorSlotPosition"/>) and each stage <see cref="StageVectors"/>.
    /// </summary>
    private long WholeThreadVector(int thread, int threads, int outerCount, int depth, bool spread)
    {
        var (outer, k) = ThreadPart(thread, threads, outerCount, depth, spread);
        return (first >> 2) + Vectors(outerBase + outer, k);
    }

    /// <summary>
    /// Where each of the thread's slots is when they are whole (<see cref="WholeSlotPlaces"/>): slot q's vector is
    /// <see cref="WholeThreadVector"/> plus <see cref="SlotVector"/>, its place <see cref="VectorSlotPosition"/>. With a
    /// view per slot (operands in row pairs, in a whole tile: elsewhere the vector may lie past the operand's end, where
    /// ILGPU's CPU accelerator rejects a view) that vector starts the slot's view, and a stage's vectors are a 32-bit index
    /// from it: one <c>IMAD.WIDE</c> a load, where a 64-bit index from the operand's start takes about six instructions
    /// (bench/compare/README.md, entry 34). The other kernels keep one view: there the four views made ptxas spill.
    /// </summary>
    internal WholeSlotPlaces WholeSlots(int thread, int threads, int outerCount, int depth, bool spread)
    {
        long threadVector = WholeThreadVector(thread, threads, outerCount, depth, spread);
        var vectors = values.Cast<Float4>();
        var slots = default(WholeSlotPlaces);
        for (int q = 0; q < StagedRegisters.Slots(outerCount, depth, threads); q++)
        {
            long vector = threadVector + SlotVector(q, threads, outerCount, depth, spread);
            var place = VectorSlotPosition(q, thread, threads, outerCount, depth, spread);
            if (viewPerSlot && whole) slots.Set(q, vectors.SubView(vector, vectors.Length - vector), 0, place);
            else slots.Set(q, vectors, vector, place);
        }
        return slots;
    }

    /// <summary>The vectors from the thread's whole slot 0 to its slot <paramref name="q"/>: thread 0's slot q (a constant outer and k).</summary>
    private long SlotVector(int q, int threads, int outerCount, int depth, bool spread)
    {
        var (outer, k) = SlotPart(q, threads, outerCount, depth, spread);
        return Vectors(outer, k);
    }

    /// <summary>The vectors from element (0, 0) to (<paramref name="outer"/>, <paramref name="k"/>), both multiples of 4 along the contiguous side.</summary>
    private long Vectors(long outer, int k) => kContiguous ? outer * (ld >> 2) + (k >> 2) : k * (long)(ld >> 2) + (outer >> 2);

    /// <summary>The vectors from a whole slot at k = 0 to the same slot at k = <paramref name="k0"/>.</summary>
    private long StageVectors(int k0) => kContiguous ? k0 >> 2 : k0 * (long)(ld >> 2);

    /// <summary>values[at + j] when it is among the <paramref name="inside"/> elements inside the matrix, else 0.</summary>
    private float ValueOrZero(long at, int j, int inside) => j < inside ? values[at + j] : 0f;

    /// <summary>Element <paramref name="j"/> of scalar slot <paramref name="q"/>, 0 outside the matrix.</summary>
    private float ScalarOrZero(int q, int j, int k0, int outerCount, int depth, int thread, int threads, bool spread)
    {
        var (_, _, at, inside) = Locate(SlotElement(q, j, thread, threads, outerCount, spread), k0, outerCount, depth, 1);
        return ValueOrZero(at, 0, inside);
    }

    /// <summary>
    /// The outer index and k in the tile of tile element <paramref name="e"/> (in memory order). The tile's sides are
    /// powers of two in every kernel (64 or 128 by 16 or 32), so this divides by shifting (<see cref="PowerOfTwo"/>).
    /// </summary>
    private (int Outer, int K) Position(int e, int outerCount, int depth) =>
        kContiguous ? (e >> PowerOfTwo.Log2(depth), e & (depth - 1)) : (e & (outerCount - 1), e >> PowerOfTwo.Log2(outerCount));

    /// <summary>
    /// Where tile element <paramref name="e"/> (in memory order) and the <paramref name="width"/> - 1 after it are:
    /// their outer index and k in the tile, the operand index of the first, and how many of them are inside the
    /// matrix (the first ones).
    /// </summary>
    private (int Outer, int K, long At, int Inside) Locate(int e, int k0, int outerCount, int depth, int width)
    {
        var (outer, k) = Position(e, outerCount, depth);
        int row = outerBase + outer, kk = k0 + k;
        long at = kContiguous ? first + (long)row * ld + kk : first + (long)kk * ld + row;
        int inside = kContiguous
            ? (row < outerLimit ? Math.Max(0, Math.Min(kLimit - kk, width)) : 0)
            : (kk < kLimit ? Math.Max(0, Math.Min(outerLimit - row, width)) : 0);
        return (outer, k, at, inside);
    }

    /// <summary>
    /// True when an operand at element <paramref name="offset"/> of a 16-byte aligned allocation, with leading dimension
    /// <paramref name="ld"/> and batch stride <paramref name="stride"/>, can be read with 128-bit loads: each is a multiple
    /// of 4 floats, so every group of 4 along the contiguous dimension starting at a multiple of 4 is 16-byte aligned.
    /// </summary>
    public static bool Vectorizable(long offset, int ld, long stride) => offset % 4 == 0 && ld % 4 == 0 && stride % 4 == 0;
}

/// <summary>Four consecutive floats, loaded as one 128-bit access (from device or shared memory).</summary>
internal struct Float4(float x, float y, float z, float w)
{
    public float X = x, Y = y, Z = z, W = w;

    /// <summary>Element <paramref name="j"/> (0: X ... 3: W).</summary>
    public readonly float Get(int j) => j == 0 ? X : j == 1 ? Y : j == 2 ? Z : W;
}

/// <summary>
/// Where each of a thread's whole slots is (<see cref="GemmStagedOperand.WholeSlots"/>): its 128-bit vector in global
/// memory at k = 0 (an index into the operand's vectors, or the start of a view of its own), and its place (outer, k) in
/// the tile. A kernel finds them once, before its k loop: found in the loop, they were rebuilt by ptxas in every stage
/// from the operand's layout (bench/compare/README.md, entry 26).
/// </summary>
internal struct WholeSlotPlaces
{
    private ArrayView<Float4> vectors0, vectors1, vectors2, vectors3;
    private long vector0, vector1, vector2, vector3;
    private int outer0, outer1, outer2, outer3, k0, k1, k2, k3;

    /// <summary>The operand's vectors that slot <paramref name="q"/>'s <see cref="Vector"/> indexes.</summary>
    public readonly ArrayView<Float4> Vectors(int q) => q == 0 ? vectors0 : q == 1 ? vectors1 : q == 2 ? vectors2 : vectors3;

    /// <summary>Slot <paramref name="q"/>'s vector at k = 0 in its <see cref="Vectors"/>.</summary>
    public readonly long Vector(int q) => q == 0 ? vector0 : q == 1 ? vector1 : q == 2 ? vector2 : vector3;

    /// <summary>Slot <paramref name="q"/>'s place in the tile.</summary>
    public readonly (int Outer, int K) Place(int q) => q == 0 ? (outer0, k0) : q == 1 ? (outer1, k1) : q == 2 ? (outer2, k2) : (outer3, k3);

    public void Set(int q, ArrayView<Float4> vectors, long vector, (int Outer, int K) place)
    {
        if (q == 0) (vectors0, vector0, outer0, k0) = (vectors, vector, place.Outer, place.K);
        else if (q == 1) (vectors1, vector1, outer1, k1) = (vectors, vector, place.Outer, place.K);
        else if (q == 2) (vectors2, vector2, outer2, k2) = (vectors, vector, place.Outer, place.K);
        else (vectors3, vector3, outer3, k3) = (vectors, vector, place.Outer, place.K);
    }
}

/// <summary>
/// A thread's share of one stage of a GEMM operand between its loads from global memory and its stores to shared
/// memory (<see cref="GemmStagedOperand.Load"/>): up to four slots of four elements, as fields so that they live in
/// registers. Every tile configuration gives each thread 2 or 4 slots per operand.
/// </summary>
internal struct StagedRegisters
{
    /// <summary>The slots a thread can hold (a test checks every kernel's stages against it).</summary>
    public const int MaxSlots = 4;

    private Float4 s0, s1, s2, s3;

    /// <summary>Slots per thread for a stage of <paramref name="outerCount"/> x <paramref name="depth"/> among <paramref name="threads"/> threads.</summary>
    public static int Slots(int outerCount, int depth, int threads) => outerCount * depth / (4 * threads);

    public readonly Float4 Get(int q) => q == 0 ? s0 : q == 1 ? s1 : q == 2 ? s2 : s3;

    public void Set(int q, Float4 value)
    {
        if (q == 0) s0 = value;
        else if (q == 1) s1 = value;
        else if (q == 2) s2 = value;
        else s3 = value;
    }
}

/// <summary>
/// The fused epilogue of the GEMM kernels, per element of c (see <see cref="BiGS.Native.Tensors.GemmEpilogue"/>):
/// z = alpha acc + beta c; product = z; c = act(z + bias[col]), then times the operand (a gate) or plus it (a residual).
/// </summary>
public static class GemmEpilogueStage
{
    /// <summary>Activation code of no activation.</summary>
    public const int NoActivation = 0;

    /// <summary>Activation code of the tanh-approximated GELU.</summary>
    public const int GeluTanh = 1;

    /// <summary>Activation code of the erf GELU.</summary>
    public const int GeluErf = 2;

    /// <summary>Operand code of an epilogue without an elementwise operand.</summary>
    public const int NoOperand = 0;

    /// <summary>Operand code of a residual: added after the activation.</summary>
    public const int ResidualOperand = 1;

    /// <summary>Operand code of a gate: multiplies the activation.</summary>
    public const int GateOperand = 2;

    /// <summary>Applies the epilogue to the accumulated <paramref name="sum"/> of c[row, col] and stores it.</summary>
    public static void Store(ArrayView<float> c, ArrayView<float> bias, ArrayView<float> operand, ArrayView<float> product,
        GemmShape s, long cFirst, int row, int col, float sum) =>
        StoreAt(c, bias, operand, product, s, cFirst + (long)row * s.N + col, col, sum);

    /// <summary>
    /// <see cref="Store"/> of c[row, col] and, where column col + 1 is inside c, of c[row, col + 1] (sum
    /// <paramref name="next"/>), from one index.
    /// </summary>
    public static void StorePair(ArrayView<float> c, ArrayView<float> bias, ArrayView<float> operand, ArrayView<float> product,
        GemmShape s, long cFirst, int row, int col, float sum, float next)
    {
        long target = cFirst + (long)row * s.N + col;
        StoreAt(c, bias, operand, product, s, target, col, sum);
        if (col + 1 < s.N) StoreAt(c, bias, operand, product, s, target + 1, col + 1, next);
    }

    /// <summary>The epilogue of element <paramref name="target"/> of c, in column <paramref name="col"/>.</summary>
    private static void StoreAt(ArrayView<float> c, ArrayView<float> bias, ArrayView<float> operand, ArrayView<float> product,
        GemmShape s, long target, int col, float sum)
    {
        float z = s.Alpha * sum;
        // beta == 0 must not read c: it may hold uninitialised memory (NaN * 0 = NaN).
        if (s.Beta != 0f) z += s.Beta * c[target];
        if (s.HasProduct != 0) product[target] = z;
        if (s.HasBias != 0) z += bias[col];
        if (s.Activation == GeluTanh) z = Gelu.Tanh(z);
        else if (s.Activation == GeluErf) z = Gelu.Erf(z);
        if (s.Operand == ResidualOperand) z += operand[target];
        else if (s.Operand == GateOperand) z *= operand[target];
        c[target] = z;
    }
}

/// <summary>
/// The sizes of a batched GEMM: op(a) is (M, K) and op(b) is (K, N), stored row-major with leading dimensions Lda and
/// Ldb, transposed when TransA / TransB is not 0; StrideA / StrideB elements between batches (0 broadcasts one matrix);
/// c is (M, N) dense per batch. The epilogue: Alpha, Beta, flags for the bias and product views, the code of what the
/// operand view is (a residual, a gate or none; views given only with batch 1) and the activation code of
/// <see cref="GemmEpilogueStage"/>; Precision rounds the operands.
/// VectorA / VectorB are not 0 when the host found the operand aligned for 128-bit loads
/// (<see cref="GemmStagedOperand.Vectorizable"/>); AddressA / AddressB are the device addresses of a's and b's element 0,
/// for the inline-PTX copies of <see cref="GemmTensorCorePipelineKernel"/> (unused by the other kernels).
/// </summary>
public readonly record struct GemmShape(int TransA, int TransB, int M, int N, int K, int Lda, int Ldb, long StrideA, long StrideB,
    float Alpha, float Beta, int HasBias, int Activation, int Operand, int HasProduct, Precision Precision, int VectorA, int VectorB,
    ulong AddressA, ulong AddressB)
{
    /// <summary>The row of tiles of c that the launch's groups of row 0 compute (a launch over a block of c's tiles, <see cref="GemmTileBlocks"/>).</summary>
    public int FirstRowTile { get; init; }

    /// <summary>The column of tiles of c that the launch's groups of column 0 compute.</summary>
    public int FirstColumnTile { get; init; }
}

/// <summary>
/// A rectangle of c's tiles that one GEMM launch computes: its first row and column of tiles, how many of each, and
/// whether every tile in it is whole (the kernel without bounds checks, <see cref="WholeTiles"/>).
/// </summary>
public readonly record struct GemmTileBlock(int FirstRowTile, int FirstColumnTile, int RowTiles, int ColumnTiles, bool Whole);

/// <summary>
/// How a GEMM's launches cover c: where k meets no edge (<see cref="GemmStagedOperand.WholeAlongK"/>), the tiles
/// inside c run the whole-tile kernel and only the last column and the last row of tiles, where m or n ends mid-tile,
/// the kernel with bounds checks. The vocabulary projection (n = 30,522) and the masked rows (m = 15% of the tokens)
/// are such products; on an H200 the bounds-checked kernel ran them at about two thirds of the whole kernel's rate on
/// the layer products (bench/compare/README.md, entries 28 and 30).
/// </summary>
public static class GemmTileBlocks
{
    /// <summary>The most blocks <see cref="Of"/> gives.</summary>
    public const int Most = 3;

    /// <summary>
    /// Writes into <paramref name="blocks"/> (room for <see cref="Most"/>) the blocks of tiles of <paramref name="rows"/>
    /// x <paramref name="columns"/> covering the product of <paramref name="s"/> with stages <paramref name="stage"/> deep
    /// and parts of k <paramref name="partDepth"/> deep, and returns how many: one whole block and up to two edge blocks
    /// (the last column of tiles, then the last row without its corner), or one edge block of every tile when k meets an
    /// edge or no tile is whole, or when the operands are <paramref name="padded"/> to whole tiles (packed for a
    /// pipelined kernel, which runs every tile alike). Allocates nothing: every GEMM launch asks.
    /// </summary>
    public static int Of(GemmShape s, int rows, int columns, int stage, int partDepth, Span<GemmTileBlock> blocks, bool padded = false)
    {
        int rowTiles = (s.M + rows - 1) / rows, columnTiles = (s.N + columns - 1) / columns;
        int wholeRows = s.M / rows, wholeColumns = s.N / columns;
        if (padded || !GemmStagedOperand.WholeAlongK(s, stage, partDepth) || wholeRows == 0 || wholeColumns == 0)
        {
            blocks[0] = Every(s, rows, columns);
            return 1;
        }
        int count = 0;
        blocks[count++] = new GemmTileBlock(0, 0, wholeRows, wholeColumns, Whole: true);
        if (wholeColumns < columnTiles) blocks[count++] = new GemmTileBlock(0, wholeColumns, rowTiles, 1, Whole: false);
        if (wholeRows < rowTiles) blocks[count++] = new GemmTileBlock(wholeRows, 0, 1, wholeColumns, Whole: false);
        return count;
    }

    /// <summary>One edge block of every tile of <paramref name="rows"/> x <paramref name="columns"/> of the product of <paramref name="s"/>.</summary>
    private static GemmTileBlock Every(GemmShape s, int rows, int columns) =>
        new(0, 0, (s.M + rows - 1) / rows, (s.N + columns - 1) / columns, Whole: false);
}
