using BiGS.Native.Kernels.Cpu;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// Batched GEMM on tensor cores (CUDA, compute capability 8.0 or more): <c>mma.sync</c> through inline PTX
/// (<see cref="CudaAsm"/>), m16n8k8 with TF32 operands or m16n8k16 with BF16 operands, fp32 accumulation, and the
/// same fused epilogue as <see cref="GemmKernel"/>, specialised per tile configuration (<see cref="ITensorCoreTile"/>).
/// A group computes a square tile of c, each warp a block of it 32 columns wide as 16 x 8 mma tiles: 4 warps of 32 x 32
/// for a 64 x 64 tile, or 8 warps of 64 x 32 for a 128 x 128 tile, which stages half as many operands per mma and loads
/// a quarter fewer fragments per mma. A thread's accumulators (32 or 64) are PTX registers that one inline-assembly
/// block declares and every mma block then names (an accumulator passed by reference would go through local memory),
/// read back one per <c>out</c> operand at the end. Per stage along k the group stages op(a) (rows by the stage's depth,
/// row-major) and op(b) (columns by the depth, column-major, i.e. k contiguous) in double-buffered shared memory,
/// rounded to the precision with <see cref="GemmRounding"/> as the SIMT kernel does (so both compute the same products):
/// TF32 values as fp32 words (a TF32 value is its own bit pattern), BF16 values as 16-bit halves (rounded and packed by
/// <c>cvt.rn.bf16x2.f32</c>, which rounds alike: <see cref="PtxBf16Packing"/>), each pair of k in one 32-bit word as
/// the mma takes them (so a fragment register is one 32-bit shared load in either precision). Rows are padded by 4
/// words so that a warp's fragment loads hit distinct banks. Operands packed for the tensor cores
/// (<see cref="Tf32Rounded{TTile, TEdges}"/>, <see cref="Bf16Pairs{TTile, TEdges}"/>) arrive rounded and in row pairs,
/// and are staged unchanged, a fragment one 128-bit load (<see cref="PreRoundedMma{TMma}"/>). Launch: groups (ceil(n/size), ceil(m/size), batch x parts
/// of k) of <see cref="Threads{TTile}"/> threads, k split as the SIMT kernel splits it (<see cref="GemmSplitK"/>).
/// Never runs on other accelerators (the inline PTX exists only for CUDA).
/// </summary>
public static class GemmTensorCoreKernel
{
    /// <summary>
    /// The TF32 kernel (m16n8k8) over the part of k that <paramref name="split"/> gives the group, staging with or without
    /// bounds checks as <typeparamref name="TEdges"/> says.
    /// </summary>
    public static void Tf32<TTile, TEdges>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split) where TTile : struct, ITensorCoreTile
        where TEdges : struct, IGemmEdges =>
        Run<TTile, TEdges, Tf32Mma, PtxWarpAccumulators>(new Tf32Mma(default(TTile).Depth), default, a, b, c, bias, operand, product, s, split);

    /// <summary>The BF16 kernel (m16n8k16), as <see cref="Tf32{TTile, TEdges}"/>.</summary>
    public static void Bf16<TTile, TEdges>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split) where TTile : struct, ITensorCoreTile
        where TEdges : struct, IGemmEdges =>
        Run<TTile, TEdges, Bf16Mma<PtxBf16Packing>, PtxWarpAccumulators>(new Bf16Mma<PtxBf16Packing>(default(TTile).Depth), default, a, b, c, bias,
            operand, product, s, split);

    /// <summary>
    /// The TF32 kernel on operands packed already rounded to TF32 (<see cref="GemmOperandPacking"/>): staging copies them
    /// unchanged (<see cref="PreRoundedMma{TMma}"/>).
    /// </summary>
    public static void Tf32Rounded<TTile, TEdges>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split) where TTile : struct, ITensorCoreTile
        where TEdges : struct, IGemmEdges =>
        Run<TTile, TEdges, PreRoundedMma<Tf32Mma>, PtxWarpAccumulators>(RoundedTf32Mma<TTile>(), default, a, b, c, bias, operand, product, s, split);

    /// <summary>
    /// The BF16 kernel on operands packed as BF16 pairs (<see cref="GemmOperandPacking"/>), the shape's k counted in
    /// words (pairs): staging copies the pairs unchanged, each stage <see cref="ITensorCoreTile.Depth"/> words deep, so
    /// twice the k of <see cref="Bf16{TTile, TEdges}"/>'s stage in the same shared memory (<see cref="PreRoundedMma{TMma}"/>).
    /// </summary>
    public static void Bf16Pairs<TTile, TEdges>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split) where TTile : struct, ITensorCoreTile
        where TEdges : struct, IGemmEdges =>
        Run<TTile, TEdges, PreRoundedMma<Bf16Mma<PtxBf16Packing>>, PtxWarpAccumulators>(Bf16PairsMma<TTile, PtxBf16Packing>(), default, a, b, c, bias,
            operand, product, s, split);

    /// <summary>The TF32 mma of tile <typeparamref name="TTile"/>'s stages on operands packed rounded.</summary>
    internal static PreRoundedMma<Tf32Mma> RoundedTf32Mma<TTile>() where TTile : struct, ITensorCoreTile =>
        new(new Tf32Mma(default(TTile).Depth), default(TTile).Depth);

    /// <summary>The BF16 mma on pairs, stages of tile <typeparamref name="TTile"/>'s depth in words (twice the k).</summary>
    internal static PreRoundedMma<Bf16Mma<TPacking>> Bf16PairsMma<TTile, TPacking>() where TTile : struct, ITensorCoreTile where TPacking : struct, IBf16Packing =>
        new(new Bf16Mma<TPacking>(2 * default(TTile).Depth), default(TTile).Depth);

    /// <summary>
    /// k per stage of <paramref name="tile"/>, counted as the product's shape counts it: its <see cref="ITensorCoreTile.Depth"/>,
    /// or twice that where the operands arrive in row pairs (<paramref name="preRounded"/>, <see cref="PreRoundedMma{TMma}"/>:
    /// k is the words of a pair).
    /// </summary>
    public static int StageDepth(ITensorCoreTile tile, bool preRounded) => tile.Depth * RowsPerStagedRow(preRounded);

    /// <summary>Rows of the tile a staged row holds: 2 where the operands arrive in row pairs (<paramref name="preRounded"/>), else 1.</summary>
    internal static int RowsPerStagedRow(bool preRounded) => preRounded ? 2 : 1;

    /// <summary>Threads per group of <paramref name="tile"/>: a warp per <see cref="ITensorCoreTile.WarpRows"/> x 32 block of c.</summary>
    public static int Threads<TTile>(TTile tile) where TTile : ITensorCoreTile => tile.Size * tile.Size / tile.WarpRows;

    /// <summary>The plans' tiles the kernel has (<see cref="TensorCoreTile64x64"/>, <see cref="TensorCoreTile128x128"/>).</summary>
    public static IReadOnlyList<GemmTile> Tiles { get; } = [GemmTile.Tile64x64, GemmTile.Tile128x128];

    /// <summary>The tile of <see cref="Tiles"/> that runs the plans of tile <paramref name="tile"/>: 128 x 128 for 128 x 128, 64 x 64 for the others.</summary>
    public static GemmTile PlanTile(GemmTile tile) => tile == GemmTile.Tile128x128 ? tile : GemmTile.Tile64x64;

    /// <summary>The tile configuration that runs the plans of tile <paramref name="tile"/> (<see cref="PlanTile"/>; no allocation).</summary>
    public static ITensorCoreTile TileFor(GemmTile tile) => PlanTile(tile) == GemmTile.Tile128x128 ? Large : Small;

    private static readonly ITensorCoreTile Small = new TensorCoreTile64x64(), Large = new TensorCoreTile128x128();

    /// <summary>
    /// The kernel with the mma shape <typeparamref name="TMma"/>, its accumulators and products held by
    /// <typeparamref name="TAccumulators"/> (the tensor cores' registers, or their emulation in
    /// <see cref="GemmTensorCoreEmulation"/>).
    /// </summary>
    internal static void Run<TTile, TEdges, TMma, TAccumulators>(TMma mma, TAccumulators accumulators, ArrayView<float> a, ArrayView<float> b,
        ArrayView<float> c, ArrayView<float> bias, ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split)
        where TTile : struct, ITensorCoreTile where TEdges : struct, IGemmEdges where TMma : struct, IMmaShape where TAccumulators : struct, IWarpAccumulators
    {
        var tile = default(TTile);
        int size = tile.Size, depth = tile.Depth, threads = Threads(tile), stageSize = mma.StageWords(size);
        // a staged row holds a row pair of packed operands, each row a stage deep
        int pairing = RowsPerStagedRow(mma.TakesPackedOperands), stagedRows = size / pairing, stagedDepth = depth * pairing;
        // [buffer][row][k] and [buffer][column][k] in the shape's layout (stageSize words a stage, a multiple of 4),
        // allocated as 128-bit vectors so that they are 16-byte aligned
        var tilesA = SharedMemory.Allocate<Float4>(2 * stageSize / 4);
        var tilesB = SharedMemory.Allocate<Float4>(2 * stageSize / 4);
        int thread = Group.IdxX, lane = thread % 32, warp = thread / 32, warpsAcross = size / 32;
        int rowBase = (s.FirstRowTile + Grid.IdxY) * size, colBase = (s.FirstColumnTile + Grid.IdxX) * size;
        int warpRow = warp / warpsAcross * tile.WarpRows, warpCol = warp % warpsAcross * 32;
        int laneRow = lane / 4, laneK = lane % 4;
        var (batch, part) = split.BatchAndPart();
        int kBegin = part * split.Depth, kEnd = Math.Min(s.K, kBegin + split.Depth);
        var opA = GemmStagedOperand.A(a, batch * s.StrideA, s, rowBase, default(TEdges).Whole, mma.TakesPackedOperands);
        var opB = GemmStagedOperand.B(b, batch * s.StrideB, s, colBase, default(TEdges).Whole, mma.TakesPackedOperands);
        long cFirst = batch * (long)s.M * s.N;
        accumulators.Declare();
        // Shared tiles are k-contiguous ([row][k], [column][k]), laid out by the mma shape.
        var sharedA = new GemmSharedTiles<TMma>(opA, tilesA, stageSize, stagedRows, stagedDepth, mma);
        var sharedB = new GemmSharedTiles<TMma>(opB, tilesB, stageSize, stagedRows, stagedDepth, mma);
        var products = new WarpProducts<TMma, TAccumulators>(mma, accumulators, sharedA, sharedB, warpRow + laneRow, warpCol + laneRow, laneK,
            tile.WarpRows / 16, depth * mma.KPerStagedElement);
        GemmDoubleBuffer.Run(ref products, sharedA, sharedB, kBegin, kEnd, stagedDepth, thread, threads);
        accumulators = products.Accumulators;
        var lanePlace = new LaneAccumulators(rowBase + warpRow + laneRow, colBase + warpCol + 2 * laneK, tile.WarpRows, thread, threads);
        if (split.Parts == 1)
        {
            WarpAccumulators.Store(accumulators, lanePlace, c, bias, operand, product, s, cFirst);
            return;
        }
        long tileOfC = split.Tile(batch);
        if (WarpAccumulators.ArrivesLast(accumulators, lanePlace, split, tileOfC, part)) WarpAccumulators.StoreSums(lanePlace, c, bias, operand, product, s, cFirst, split, tileOfC);
    }

    /// <summary>
    /// A warp's step of the k loop: the mma instructions of its block of c over the stage's <paramref name="depth"/> in k, from the fragments
    /// of the lane's rows <paramref name="aRow"/> (and 16, 32, 48 on, <paramref name="mmaRows"/> in all) and columns
    /// <paramref name="bColumn"/> (and 8, 16, 24 on).
    /// </summary>
    private struct WarpProducts<TMma, TAccumulators>(TMma mma, TAccumulators accumulators, GemmSharedTiles<TMma> a, GemmSharedTiles<TMma> b,
        int aRow, int bColumn, int laneK, int mmaRows, int depth) : IGemmStageProduct
        where TMma : struct, IMmaShape where TAccumulators : struct, IWarpAccumulators
    {
        public TAccumulators Accumulators = accumulators;

        public void Multiply(int buffer)
        {
            var (tileA, tileB) = (a.Buffer(buffer), b.Buffer(buffer));
            for (int k = 0; k < depth; k += mma.Depth)
            {
                long aAt = mma.FragmentIndex(aRow, laneK, k), bAt = mma.FragmentIndex(bColumn, laneK, k);
                bool fourRows = mmaRows == 4;
                var fragments = new WarpFragments
                {
                    A0 = mma.LoadA(tileA, aAt),
                    A1 = mma.LoadA(tileA, aAt + mma.RowOffset(16)),
                    A2 = fourRows ? mma.LoadA(tileA, aAt + mma.RowOffset(32)) : default,
                    A3 = fourRows ? mma.LoadA(tileA, aAt + mma.RowOffset(48)) : default,
                };
                (fragments.B0, fragments.B1) = mma.LoadBPair(tileB, bAt);
                (fragments.B2, fragments.B3) = mma.LoadBPair(tileB, bAt + mma.RowOffset(16));
                Accumulators.Multiply(mma, mmaRows, fragments);
            }
        }
    }

    /// <summary>
    /// A warp's fragments of one mma step: a's for its 16-row mma tiles A0 to A3 (A2, A3 only in a 64-row block) and b's
    /// for its 8-column mma tiles B0 to B3.
    /// </summary>
    internal struct WarpFragments
    {
        public Fragment A0, A1, A2, A3, B0, B1, B2, B3;

        /// <summary>a's fragment of mma row <paramref name="row"/>.</summary>
        public readonly Fragment A(int row) => row == 0 ? A0 : row == 1 ? A1 : row == 2 ? A2 : A3;

        /// <summary>b's fragment of mma column <paramref name="column"/>.</summary>
        public readonly Fragment B(int column) => column == 0 ? B0 : column == 1 ? B1 : column == 2 ? B2 : B3;
    }

    /// <summary>An operand of one mma: four 32-bit registers of a (16 x k) or two of b (k x 8); R2, R3 unused for b.</summary>
    internal struct Fragment
    {
        public uint R0, R1, R2, R3;
    }

    /// <summary>
    /// One mma.sync shape: its depth along k, how it keeps a staged operand in shared memory (rows k-contiguous, as
    /// <see cref="IGemmStageLayout.WriteEach"/> writes them), its fragment loads from there, and the instruction.
    /// </summary>
    internal interface IMmaShape : IGemmStageLayout
    {
        /// <summary>k per instruction.</summary>
        int Depth { get; }

        /// <summary>Operands per 32-bit word of a staged row and of a fragment register: 1 (TF32) or 2 (a BF16 pair).</summary>
        int OperandsPerWord { get; }

        /// <summary>
        /// k per element of the operands the kernel stages: 1 where it rounds each operand as it stages it,
        /// <see cref="OperandsPerWord"/> where they arrive rounded and packed (<see cref="PreRoundedMma{TMma}"/>).
        /// </summary>
        int KPerStagedElement { get; }

        /// <summary>True where the kernel only ever runs on packed operands (NT, aligned: <see cref="PreRoundedMma{TMma}"/>).</summary>
        bool TakesPackedOperands { get; }

        /// <summary>32-bit words of a stage of <paramref name="rows"/> rows of the tile (a multiple of 16).</summary>
        int StageWords(int rows);

        /// <summary>
        /// Where lane (r, q) = (lane / 4, lane % 4) finds its fragment of row or column <paramref name="outer"/> (= r mod
        /// 8) at the mma step from k0 = <paramref name="k"/>, <paramref name="laneK"/> = q: the index <see cref="LoadA"/>
        /// and <see cref="LoadBPair"/> take, in the unit of their shared loads.
        /// </summary>
        long FragmentIndex(int outer, int laneK, int k);

        /// <summary>The index from a row's fragment to that of the row <paramref name="rows"/> on (a multiple of 16; of 8 in the unpaired shapes).</summary>
        long RowOffset(int rows);

        /// <summary>
        /// The a fragment of lane (r, q) of a 16-row mma tile at k [k0, +<see cref="Depth"/>) of a staged tile, from
        /// <paramref name="index"/> = <see cref="FragmentIndex"/>(the lane's row r, q, k0): the fragment holds that row's and
        /// the row 8 below's operands, at constant offsets from it. The index is 64-bit so that ptxas folds those offsets
        /// into the shared loads (a 32-bit sum could wrap, so it cannot).
        /// </summary>
        Fragment LoadA(ArrayView<float> tile, long index);

        /// <summary>
        /// The b fragments of lane (r, q) of two 8-column mma tiles at k0, columns r and r + 8, from <paramref name="index"/> =
        /// FragmentIndex(the lane's column r, q, k0).
        /// </summary>
        (Fragment First, Fragment Second) LoadBPair(ArrayView<float> tile, long index);

        /// <summary>Accumulator tile <paramref name="tile"/> (0 to 15: row 16 (tile / 4), column 8 (tile % 4)) += a b on the tensor cores.</summary>
        void Mma(int tile, Fragment a, Fragment b);

        /// <summary>
        /// Which of the 4 lanes holding a row of a (lanes 4r to 4r + 3) or a column of b holds its operand at k (0 to
        /// <see cref="Depth"/> - 1), and in which register: <c>Register</c> of b's fragment, 2 <c>Register</c> of a's
        /// (+ 1 for the rows 8 to 15). The PTX ISA's fragment layout, which <see cref="LoadA"/> and <see cref="LoadBPair"/>
        /// follow; <see cref="GemmTensorCoreEmulation"/> reads the fragments back by it.
        /// </summary>
        (int Lane, int Register) Holder(int k);

        /// <summary>The operand at k in a fragment register that holds it (<see cref="Holder"/>).</summary>
        float Operand(uint register, int k);
    }

    /// <summary>
    /// m16n8k8, TF32 operands (a TF32-rounded float is its own register), staged <paramref name="stageDepth"/> k deep.
    /// PTX ISA fragment layout: a0 (r, q), a1 (r+8, q), a2 (r, q+4), a3 (r+8, q+4); b0 (k q, column r), b1 (k q+4, column r).
    /// </summary>
    internal readonly struct Tf32Mma(int stageDepth) : IMmaShape
    {
        public int Depth => 8;

        public int OperandsPerWord => 1;

        public int KPerStagedElement => 1;

        public bool TakesPackedOperands => false;

        /// <summary>fp32 words per staged row: the stage's k, and 4 more so that fragment loads hit distinct banks.</summary>
        private int RowStride => stageDepth + 4;

        /// <summary>fp32 words, rows padded by 4.</summary>
        public int Word(int outer, int k) => outer * RowStride + k;

        /// <summary>The word of the lane's first operand: a fragment register is one 32-bit load.</summary>
        public long FragmentIndex(int outer, int laneK, int k) => Word(outer, 0) + laneK + (long)Word(0, k);

        public long RowOffset(int rows) => Word(rows, 0);

        public int StageWords(int rows) => Word(rows, 0);

        /// <summary>Rounded to TF32, as the k-major <see cref="RoundedFloats"/> of the same strides.</summary>
        public void WriteEach(ArrayView<float> tile, TilePlaces at, Float4 values) =>
            new RoundedFloats(kStride: 1, outerStride: RowStride, Precision.Tf32).WriteEach(tile, at, values);

        /// <inheritdoc />
        public bool SpreadsAcrossK => true;

        /// <summary>Rows are k-contiguous.</summary>
        public bool RunsAreAdjacent(bool alongK) => alongK;

        /// <summary>One 128-bit store (RowStride and k multiples of 4).</summary>
        public void WriteRun(ArrayView<float> tile, int outer, int k, bool alongK, Float4 values) =>
            tile.Cast<Float4>()[Word(outer, k) >> 2] = new Float4(Rounded(values.X), Rounded(values.Y), Rounded(values.Z), Rounded(values.W));

        public Fragment LoadA(ArrayView<float> tile, long word) => new()
        {
            R0 = Bits(tile[word]), R1 = Bits(tile[word + 8 * RowStride]), R2 = Bits(tile[word + 4]), R3 = Bits(tile[word + 8 * RowStride + 4]),
        };

        public (Fragment First, Fragment Second) LoadBPair(ArrayView<float> tile, long word) => (LoadB(tile, word), LoadB(tile, word + RowOffset(8)));

        private static Fragment LoadB(ArrayView<float> tile, long word) => new() { R0 = Bits(tile[word]), R1 = Bits(tile[word + 4]) };

        public void Mma(int tile, Fragment a, Fragment b) => MmaPtx.Mma(bf16: false, tile, a, b);

        public (int Lane, int Register) Holder(int k) => (k % 4, k / 4);

        public float Operand(uint register, int k) => BitConverter.Int32BitsToSingle((int)register);

        private static uint Bits(float value) => (uint)BitConverter.SingleToInt32Bits(value);

        private static float Rounded(float value) => GemmRounding.Round(value, Precision.Tf32);
    }

    /// <summary>
    /// How a BF16 kernel rounds the operands it stages to BF16 (to nearest, ties to even, as <see cref="GemmRounding"/>)
    /// and packs them two to a 32-bit word, as the mma takes them.
    /// </summary>
    internal interface IBf16Packing
    {
        /// <summary>
        /// <paramref name="x"/>, <paramref name="y"/>, <paramref name="z"/>, <paramref name="w"/> in BF16, in the 16-bit
        /// quarters of the result from the lowest up (two k pairs, each in a 32-bit word as the mma takes it).
        /// </summary>
        ulong Quad(float x, float y, float z, float w);
    }

    /// <summary>
    /// One <c>cvt.rn.bf16x2.f32</c> (sm_80+) a pair, where <see cref="ArithmeticBf16Packing"/> takes about 6 instructions
    /// a value. (Not so for TF32: ptxas expands <c>cvt.rna.tf32.f32</c> into the same arithmetic as
    /// <see cref="GemmRounding.ToTf32"/>, and the inline <c>out</c> operand adds a store to local memory.)
    /// </summary>
    internal readonly struct PtxBf16Packing : IBf16Packing
    {
        /// <summary>
        /// Two conversions (each puts its first source in the high half) in one asm block with one 64-bit <c>out</c>:
        /// ILGPU stores each <c>out</c> operand to local memory (and ptxas keeps the stores), so one block a quad stores a
        /// quarter as often as a block a value.
        /// </summary>
        public ulong Quad(float x, float y, float z, float w)
        {
            CudaAsm.Emit("{ .reg .b32 low, high; cvt.rn.bf16x2.f32 low, %2, %1; cvt.rn.bf16x2.f32 high, %4, %3; mov.b64 %0, {low, high}; }",
                out ulong quad, x, y, z, w);
            return quad;
        }
    }

    /// <summary><see cref="GemmRounding.ToBf16"/>'s arithmetic, where there is no conversion instruction (the emulation).</summary>
    internal readonly struct ArithmeticBf16Packing : IBf16Packing
    {
        /// <summary>A BF16 value is the high half of the rounded float.</summary>
        public ulong Quad(float x, float y, float z, float w) => Half(x) | Half(y) << 16 | Half(z) << 32 | Half(w) << 48;

        private static ulong Half(float value) => (uint)BitConverter.SingleToInt32Bits(GemmRounding.ToBf16(value)) >> 16;
    }

    /// <summary>
    /// m16n8k16, BF16 operands, two per register (the lower k in the low half), staged <paramref name="stageDepth"/> k deep. PTX ISA fragment layout: a0 (r, 2q..2q+1),
    /// a1 (r+8, 2q..), a2 (r, 2q+8..), a3 (r+8, 2q+8..); b0 (k 2q..2q+1, column r), b1 (k 2q+8..2q+9, column r).
    /// </summary>
    internal readonly struct Bf16Mma<TPacking>(int stageDepth) : IMmaShape where TPacking : struct, IBf16Packing
    {
        public int Depth => 16;

        public int OperandsPerWord => 2;

        public int KPerStagedElement => 1;

        public bool TakesPackedOperands => false;

        /// <summary>32-bit words per staged row: the stage's k in pairs, and 4 more so that fragment loads hit distinct banks.</summary>
        private int WordPitch => stageDepth / 2 + 4;

        /// <summary>Each BF16 value (the high half of the rounded float) as a 16-bit half (<see cref="Half"/>).</summary>
        public void WriteEach(ArrayView<float> tile, TilePlaces at, Float4 values)
        {
            ulong quad = default(TPacking).Quad(values.X, values.Y, values.Z, values.W);
            var halves = tile.Cast<ushort>();
            halves[Half(at.X)] = (ushort)quad;
            halves[Half(at.Y)] = (ushort)(quad >> 16);
            halves[Half(at.Z)] = (ushort)(quad >> 32);
            halves[Half(at.W)] = (ushort)(quad >> 48);
        }

        /// <summary>
        /// Element (outer, k)'s 16-bit half of the tile: the low half of row outer's word k / 2 for even k, the high half
        /// for odd k (shared memory is little-endian).
        /// </summary>
        private int Half((int Outer, int K) place) => 2 * Word(place.Outer, place.K) + (place.K & 1);

        /// <summary>A k pair a word, rows of <see cref="WordPitch"/> words.</summary>
        public int Word(int outer, int k) => outer * WordPitch + (k >> 1);

        /// <summary>The word of the lane's first pair: a fragment register is one 32-bit load.</summary>
        public long FragmentIndex(int outer, int laneK, int k) => Word(outer, 0) + laneK + (long)Word(0, k);

        public long RowOffset(int rows) => Word(rows, 0);

        public int StageWords(int rows) => Word(rows, 0);

        /// <inheritdoc />
        public bool SpreadsAcrossK => true;

        /// <summary>Rows are k-contiguous.</summary>
        public bool RunsAreAdjacent(bool alongK) => alongK;

        /// <summary>
        /// Two words, k pairs (0, 1) and (2, 3), in one 64-bit store (WordPitch even, k a multiple of 4, so the word index
        /// is even).
        /// </summary>
        public void WriteRun(ArrayView<float> tile, int outer, int k, bool alongK, Float4 values)
        {
            tile.Cast<ulong>()[Word(outer, k) >> 1] = default(TPacking).Quad(values.X, values.Y, values.Z, values.W);
        }

        public Fragment LoadA(ArrayView<float> tile, long word)
        {
            var words = tile.Cast<uint>();
            long high = word + 8 * WordPitch;
            return new Fragment { R0 = words[word], R1 = words[high], R2 = words[word + 4], R3 = words[high + 4] };
        }

        public (Fragment First, Fragment Second) LoadBPair(ArrayView<float> tile, long word) => (LoadB(tile, word), LoadB(tile, word + RowOffset(8)));

        private static Fragment LoadB(ArrayView<float> tile, long word)
        {
            var words = tile.Cast<uint>();
            return new Fragment { R0 = words[word], R1 = words[word + 4] };
        }

        public void Mma(int tile, Fragment a, Fragment b) => MmaPtx.Mma(bf16: true, tile, a, b);

        public (int Lane, int Register) Holder(int k) => (k % 8 / 2, k / 8);

        /// <summary>The lower k of a pair in the low half, the higher in the high half; a BF16 value is the high half of a float.</summary>
        public float Operand(uint register, int k) => BitConverter.Int32BitsToSingle((int)(k % 2 == 0 ? register << 16 : register & 0xFFFF0000u));
    }

    /// <summary>
    /// <typeparamref name="TMma"/> on operands that arrive already rounded to its precision and packed as its fragments
    /// take them (<see cref="GemmOperandPacking"/>): one 32-bit word per TF32 value or BF16 pair, rows r and r + 8 of
    /// each block of 16 in one row pair, and in each mma's k a lane's four words in one 128-bit vector
    /// (<see cref="PackedFragments"/>). The staged rows are row pairs, the staged elements their words, and staging copies
    /// them unchanged, four words in one 128-bit store. So the k loop holds no rounding (TF32's is about 4 instructions
    /// a value, BF16's a <c>cvt.rn.bf16x2.f32</c> a pair), in BF16 each k costs half the loads, stores and staging
    /// registers and a stage of the same shared memory holds twice the k, and a fragment of a, or the fragments of b of
    /// two blocks of 8 columns, is one 128-bit shared load whose four registers go to the mma as they are: 6 loads a
    /// k-step of a 64-row warp block where <typeparamref name="TMma"/> takes 24. A row pair holds two rows of a stage,
    /// unpadded; its blocks of 16 words (one mma's k of both rows) swap places in every other pair
    /// (<see cref="StagedWord"/>), so that a phase of 8 lanes of the fragment loads (2 pairs, 4 vectors each) and of the
    /// staging's stores (32 consecutive words) meet each bank once. The fragments' registers, their k slots and the mma
    /// are <typeparamref name="TMma"/>'s.
    /// </summary>
    internal readonly struct PreRoundedMma<TMma>(TMma inner, int stageWords) : IMmaShape where TMma : struct, IMmaShape
    {
        public int Depth => inner.Depth;

        public int OperandsPerWord => inner.OperandsPerWord;

        public int KPerStagedElement => inner.OperandsPerWord;

        public bool TakesPackedOperands => true;

        /// <summary>Words of a staged row pair: both rows' stage.</summary>
        private int PairWords => 2 * stageWords;

        public int StageWords(int rows) => rows / 2 * PairWords;

        /// <summary>
        /// Where word <paramref name="word"/> of row pair <paramref name="pair"/> goes: its block of 16 words b = word / 16
        /// at b XOR (pair mod 2). Pairs are 32 or 64 words, so two pairs' blocks b would fall in the same banks unswapped.
        /// </summary>
        internal int StagedWord(int pair, int word) => pair * PairWords + (((word >> 4) ^ (pair & 1)) << 4) + (word & 15);

        /// <summary>Each word at its <see cref="StagedWord"/>.</summary>
        public void WriteEach(ArrayView<float> tile, TilePlaces at, Float4 values)
        {
            tile[StagedWord(at.X.Outer, at.X.K)] = values.X;
            tile[StagedWord(at.Y.Outer, at.Y.K)] = values.Y;
            tile[StagedWord(at.Z.Outer, at.Z.K)] = values.Z;
            tile[StagedWord(at.W.Outer, at.W.K)] = values.W;
        }

        /// <inheritdoc />
        public bool SpreadsAcrossK => true;

        /// <summary>A pair's words are contiguous in runs of 4 (blocks of 16 move whole).</summary>
        public bool RunsAreAdjacent(bool alongK) => alongK;

        /// <summary>One 128-bit store (the staged k a multiple of 4).</summary>
        public void WriteRun(ArrayView<float> tile, int outer, int k, bool alongK, Float4 values) =>
            tile.Cast<Float4>()[StagedWord(outer, k) >> 2] = values;

        /// <summary>The 128-bit vector of lane q in the pair of row <paramref name="outer"/> at the mma step from k0: words 16 (k0 / Depth) + 4 q on.</summary>
        public long FragmentIndex(int outer, int laneK, int k) => StagedWord(GemmOperandPacking.RowPair(outer), 16 * (k / Depth) + 4 * laneK) >> 2;

        /// <summary>In 128-bit vectors (rows a multiple of 16: whole pairs of blocks, which share their swap).</summary>
        public long RowOffset(int rows) => StageWords(rows) >> 2;

        /// <summary>a0 to a3, the vector as it is.</summary>
        public Fragment LoadA(ArrayView<float> tile, long index)
        {
            var v = tile.Cast<Float4>()[index];
            return new Fragment { R0 = Bits(v.X), R1 = Bits(v.Y), R2 = Bits(v.Z), R3 = Bits(v.W) };
        }

        /// <summary>b0, b1 of column r, then of column r + 8.</summary>
        public (Fragment First, Fragment Second) LoadBPair(ArrayView<float> tile, long index)
        {
            var v = tile.Cast<Float4>()[index];
            return (new Fragment { R0 = Bits(v.X), R1 = Bits(v.Y) }, new Fragment { R0 = Bits(v.Z), R1 = Bits(v.W) });
        }

        private static uint Bits(float value) => (uint)BitConverter.SingleToInt32Bits(value);

        public void Mma(int tile, Fragment a, Fragment b) => inner.Mma(tile, a, b);

        public (int Lane, int Register) Holder(int k) => inner.Holder(k);

        public float Operand(uint register, int k) => inner.Operand(register, k);
    }

    /// <summary>
    /// A thread's accumulators of its warp's block of c, as (rows / 16) x 4 mma tiles (rows 16 (t / 4), columns 8 (t % 4))
    /// of 4 values each: accumulator 4 t + e is element e of mma tile t, in the mma's accumulator layout
    /// (<see cref="LaneAccumulators.Position"/>). 32 for a 32-row block, 64 for a 64-row one.
    /// </summary>
    internal interface IWarpAccumulators
    {
        /// <summary>Makes the accumulators and zeroes them (once, before the k loop; every thread of the group).</summary>
        void Declare();

        /// <summary>
        /// Adds the products of the first <paramref name="mmaRows"/> (2 or 4) row fragments of a with the four column
        /// fragments of b (every thread of the group).
        /// </summary>
        void Multiply<TMma>(TMma mma, int mmaRows, WarpFragments fragments) where TMma : struct, IMmaShape;

        /// <summary>
        /// Accumulators 2 <paramref name="pair"/> and 2 <paramref name="pair"/> + 1 (pair 0 to 31): adjacent columns of
        /// a row of c (<see cref="LaneAccumulators.Position"/>).
        /// </summary>
        (float Sum, float Next) ReadPair(int pair);
    }

    /// <summary>
    /// The accumulators on the tensor cores: PTX registers named gemm_acc0 to gemm_acc127, fed by mma.sync (ptxas drops
    /// those a block never uses: 64 are <see cref="GemmTensorCoreKernel"/>'s most, 128 <see cref="GemmTensorCorePipelineKernel"/>'s).
    /// </summary>
    internal readonly struct PtxWarpAccumulators : IWarpAccumulators
    {
        /// <summary>Declares the accumulator registers and zeroes them.</summary>
        public void Declare() => CudaAsm.Emit(".reg .f32 gemm_acc<128>;" +
            "mov.f32 gemm_acc0, 0f00000000; mov.f32 gemm_acc1, 0f00000000; mov.f32 gemm_acc2, 0f00000000; mov.f32 gemm_acc3, 0f00000000;" +
            "mov.f32 gemm_acc4, 0f00000000; mov.f32 gemm_acc5, 0f00000000; mov.f32 gemm_acc6, 0f00000000; mov.f32 gemm_acc7, 0f00000000;" +
            "mov.f32 gemm_acc8, 0f00000000; mov.f32 gemm_acc9, 0f00000000; mov.f32 gemm_acc10, 0f00000000; mov.f32 gemm_acc11, 0f00000000;" +
            "mov.f32 gemm_acc12, 0f00000000; mov.f32 gemm_acc13, 0f00000000; mov.f32 gemm_acc14, 0f00000000; mov.f32 gemm_acc15, 0f00000000;" +
            "mov.f32 gemm_acc16, 0f00000000; mov.f32 gemm_acc17, 0f00000000; mov.f32 gemm_acc18, 0f00000000; mov.f32 gemm_acc19, 0f00000000;" +
            "mov.f32 gemm_acc20, 0f00000000; mov.f32 gemm_acc21, 0f00000000; mov.f32 gemm_acc22, 0f00000000; mov.f32 gemm_acc23, 0f00000000;" +
            "mov.f32 gemm_acc24, 0f00000000; mov.f32 gemm_acc25, 0f00000000; mov.f32 gemm_acc26, 0f00000000; mov.f32 gemm_acc27, 0f00000000;" +
            "mov.f32 gemm_acc28, 0f00000000; mov.f32 gemm_acc29, 0f00000000; mov.f32 gemm_acc30, 0f00000000; mov.f32 gemm_acc31, 0f00000000;" +
            "mov.f32 gemm_acc32, 0f00000000; mov.f32 gemm_acc33, 0f00000000; mov.f32 gemm_acc34, 0f00000000; mov.f32 gemm_acc35, 0f00000000;" +
            "mov.f32 gemm_acc36, 0f00000000; mov.f32 gemm_acc37, 0f00000000; mov.f32 gemm_acc38, 0f00000000; mov.f32 gemm_acc39, 0f00000000;" +
            "mov.f32 gemm_acc40, 0f00000000; mov.f32 gemm_acc41, 0f00000000; mov.f32 gemm_acc42, 0f00000000; mov.f32 gemm_acc43, 0f00000000;" +
            "mov.f32 gemm_acc44, 0f00000000; mov.f32 gemm_acc45, 0f00000000; mov.f32 gemm_acc46, 0f00000000; mov.f32 gemm_acc47, 0f00000000;" +
            "mov.f32 gemm_acc48, 0f00000000; mov.f32 gemm_acc49, 0f00000000; mov.f32 gemm_acc50, 0f00000000; mov.f32 gemm_acc51, 0f00000000;" +
            "mov.f32 gemm_acc52, 0f00000000; mov.f32 gemm_acc53, 0f00000000; mov.f32 gemm_acc54, 0f00000000; mov.f32 gemm_acc55, 0f00000000;" +
            "mov.f32 gemm_acc56, 0f00000000; mov.f32 gemm_acc57, 0f00000000; mov.f32 gemm_acc58, 0f00000000; mov.f32 gemm_acc59, 0f00000000;" +
            "mov.f32 gemm_acc60, 0f00000000; mov.f32 gemm_acc61, 0f00000000; mov.f32 gemm_acc62, 0f00000000; mov.f32 gemm_acc63, 0f00000000;" +
            "mov.f32 gemm_acc64, 0f00000000; mov.f32 gemm_acc65, 0f00000000; mov.f32 gemm_acc66, 0f00000000; mov.f32 gemm_acc67, 0f00000000;" +
            "mov.f32 gemm_acc68, 0f00000000; mov.f32 gemm_acc69, 0f00000000; mov.f32 gemm_acc70, 0f00000000; mov.f32 gemm_acc71, 0f00000000;" +
            "mov.f32 gemm_acc72, 0f00000000; mov.f32 gemm_acc73, 0f00000000; mov.f32 gemm_acc74, 0f00000000; mov.f32 gemm_acc75, 0f00000000;" +
            "mov.f32 gemm_acc76, 0f00000000; mov.f32 gemm_acc77, 0f00000000; mov.f32 gemm_acc78, 0f00000000; mov.f32 gemm_acc79, 0f00000000;" +
            "mov.f32 gemm_acc80, 0f00000000; mov.f32 gemm_acc81, 0f00000000; mov.f32 gemm_acc82, 0f00000000; mov.f32 gemm_acc83, 0f00000000;" +
            "mov.f32 gemm_acc84, 0f00000000; mov.f32 gemm_acc85, 0f00000000; mov.f32 gemm_acc86, 0f00000000; mov.f32 gemm_acc87, 0f00000000;" +
            "mov.f32 gemm_acc88, 0f00000000; mov.f32 gemm_acc89, 0f00000000; mov.f32 gemm_acc90, 0f00000000; mov.f32 gemm_acc91, 0f00000000;" +
            "mov.f32 gemm_acc92, 0f00000000; mov.f32 gemm_acc93, 0f00000000; mov.f32 gemm_acc94, 0f00000000; mov.f32 gemm_acc95, 0f00000000;" +
            "mov.f32 gemm_acc96, 0f00000000; mov.f32 gemm_acc97, 0f00000000; mov.f32 gemm_acc98, 0f00000000; mov.f32 gemm_acc99, 0f00000000;" +
            "mov.f32 gemm_acc100, 0f00000000; mov.f32 gemm_acc101, 0f00000000; mov.f32 gemm_acc102, 0f00000000; mov.f32 gemm_acc103, 0f00000000;" +
            "mov.f32 gemm_acc104, 0f00000000; mov.f32 gemm_acc105, 0f00000000; mov.f32 gemm_acc106, 0f00000000; mov.f32 gemm_acc107, 0f00000000;" +
            "mov.f32 gemm_acc108, 0f00000000; mov.f32 gemm_acc109, 0f00000000; mov.f32 gemm_acc110, 0f00000000; mov.f32 gemm_acc111, 0f00000000;" +
            "mov.f32 gemm_acc112, 0f00000000; mov.f32 gemm_acc113, 0f00000000; mov.f32 gemm_acc114, 0f00000000; mov.f32 gemm_acc115, 0f00000000;" +
            "mov.f32 gemm_acc116, 0f00000000; mov.f32 gemm_acc117, 0f00000000; mov.f32 gemm_acc118, 0f00000000; mov.f32 gemm_acc119, 0f00000000;" +
            "mov.f32 gemm_acc120, 0f00000000; mov.f32 gemm_acc121, 0f00000000; mov.f32 gemm_acc122, 0f00000000; mov.f32 gemm_acc123, 0f00000000;" +
            "mov.f32 gemm_acc124, 0f00000000; mov.f32 gemm_acc125, 0f00000000; mov.f32 gemm_acc126, 0f00000000; mov.f32 gemm_acc127, 0f00000000;");

        /// <inheritdoc />
        /// <remarks>Written out, not looped: the tile of each mma must be a constant (ILGPU unrolls no loop).</remarks>
        public void Multiply<TMma>(TMma mma, int mmaRows, WarpFragments f) where TMma : struct, IMmaShape
        {
            mma.Mma(0, f.A0, f.B0); mma.Mma(1, f.A0, f.B1); mma.Mma(2, f.A0, f.B2); mma.Mma(3, f.A0, f.B3);
            mma.Mma(4, f.A1, f.B0); mma.Mma(5, f.A1, f.B1); mma.Mma(6, f.A1, f.B2); mma.Mma(7, f.A1, f.B3);
            if (mmaRows == 2) return;
            mma.Mma(8, f.A2, f.B0); mma.Mma(9, f.A2, f.B1); mma.Mma(10, f.A2, f.B2); mma.Mma(11, f.A2, f.B3);
            mma.Mma(12, f.A3, f.B0); mma.Mma(13, f.A3, f.B1); mma.Mma(14, f.A3, f.B2); mma.Mma(15, f.A3, f.B3);
        }

        /// <summary>
        /// Accumulator registers 2 <paramref name="pair"/> and 2 <paramref name="pair"/> + 1 (pair 0 to 31), read by one
        /// inline mov into one 64-bit out operand (ILGPU passes an out operand through local memory: one store a pair, not
        /// two); the epilogue's loop takes one jump-table branch a pair.
        /// </summary>
        public (float Sum, float Next) ReadPair(int pair) => Split(pair switch
        {
            0 => Pair0(),
            1 => Pair1(),
            2 => Pair2(),
            3 => Pair3(),
            4 => Pair4(),
            5 => Pair5(),
            6 => Pair6(),
            7 => Pair7(),
            8 => Pair8(),
            9 => Pair9(),
            10 => Pair10(),
            11 => Pair11(),
            12 => Pair12(),
            13 => Pair13(),
            14 => Pair14(),
            15 => Pair15(),
            16 => Pair16(),
            17 => Pair17(),
            18 => Pair18(),
            19 => Pair19(),
            20 => Pair20(),
            21 => Pair21(),
            22 => Pair22(),
            23 => Pair23(),
            24 => Pair24(),
            25 => Pair25(),
            26 => Pair26(),
            27 => Pair27(),
            28 => Pair28(),
            29 => Pair29(),
            30 => Pair30(),
            _ => Pair31(),
        });

        /// <summary>The low word of <paramref name="pair"/> (the even accumulator) and the high one.</summary>
        internal static (float Sum, float Next) Split(ulong pair) =>
            (BitConverter.Int32BitsToSingle((int)(uint)pair), BitConverter.Int32BitsToSingle((int)(uint)(pair >> 32)));

        private static ulong Pair0() { CudaAsm.Emit("mov.b64 %0, {gemm_acc0,gemm_acc1};", out ulong pair); return pair; }
        private static ulong Pair1() { CudaAsm.Emit("mov.b64 %0, {gemm_acc2,gemm_acc3};", out ulong pair); return pair; }
        private static ulong Pair2() { CudaAsm.Emit("mov.b64 %0, {gemm_acc4,gemm_acc5};", out ulong pair); return pair; }
        private static ulong Pair3() { CudaAsm.Emit("mov.b64 %0, {gemm_acc6,gemm_acc7};", out ulong pair); return pair; }
        private static ulong Pair4() { CudaAsm.Emit("mov.b64 %0, {gemm_acc8,gemm_acc9};", out ulong pair); return pair; }
        private static ulong Pair5() { CudaAsm.Emit("mov.b64 %0, {gemm_acc10,gemm_acc11};", out ulong pair); return pair; }
        private static ulong Pair6() { CudaAsm.Emit("mov.b64 %0, {gemm_acc12,gemm_acc13};", out ulong pair); return pair; }
        private static ulong Pair7() { CudaAsm.Emit("mov.b64 %0, {gemm_acc14,gemm_acc15};", out ulong pair); return pair; }
        private static ulong Pair8() { CudaAsm.Emit("mov.b64 %0, {gemm_acc16,gemm_acc17};", out ulong pair); return pair; }
        private static ulong Pair9() { CudaAsm.Emit("mov.b64 %0, {gemm_acc18,gemm_acc19};", out ulong pair); return pair; }
        private static ulong Pair10() { CudaAsm.Emit("mov.b64 %0, {gemm_acc20,gemm_acc21};", out ulong pair); return pair; }
        private static ulong Pair11() { CudaAsm.Emit("mov.b64 %0, {gemm_acc22,gemm_acc23};", out ulong pair); return pair; }
        private static ulong Pair12() { CudaAsm.Emit("mov.b64 %0, {gemm_acc24,gemm_acc25};", out ulong pair); return pair; }
        private static ulong Pair13() { CudaAsm.Emit("mov.b64 %0, {gemm_acc26,gemm_acc27};", out ulong pair); return pair; }
        private static ulong Pair14() { CudaAsm.Emit("mov.b64 %0, {gemm_acc28,gemm_acc29};", out ulong pair); return pair; }
        private static ulong Pair15() { CudaAsm.Emit("mov.b64 %0, {gemm_acc30,gemm_acc31};", out ulong pair); return pair; }
        private static ulong Pair16() { CudaAsm.Emit("mov.b64 %0, {gemm_acc32,gemm_acc33};", out ulong pair); return pair; }
        private static ulong Pair17() { CudaAsm.Emit("mov.b64 %0, {gemm_acc34,gemm_acc35};", out ulong pair); return pair; }
        private static ulong Pair18() { CudaAsm.Emit("mov.b64 %0, {gemm_acc36,gemm_acc37};", out ulong pair); return pair; }
        private static ulong Pair19() { CudaAsm.Emit("mov.b64 %0, {gemm_acc38,gemm_acc39};", out ulong pair); return pair; }
        private static ulong Pair20() { CudaAsm.Emit("mov.b64 %0, {gemm_acc40,gemm_acc41};", out ulong pair); return pair; }
        private static ulong Pair21() { CudaAsm.Emit("mov.b64 %0, {gemm_acc42,gemm_acc43};", out ulong pair); return pair; }
        private static ulong Pair22() { CudaAsm.Emit("mov.b64 %0, {gemm_acc44,gemm_acc45};", out ulong pair); return pair; }
        private static ulong Pair23() { CudaAsm.Emit("mov.b64 %0, {gemm_acc46,gemm_acc47};", out ulong pair); return pair; }
        private static ulong Pair24() { CudaAsm.Emit("mov.b64 %0, {gemm_acc48,gemm_acc49};", out ulong pair); return pair; }
        private static ulong Pair25() { CudaAsm.Emit("mov.b64 %0, {gemm_acc50,gemm_acc51};", out ulong pair); return pair; }
        private static ulong Pair26() { CudaAsm.Emit("mov.b64 %0, {gemm_acc52,gemm_acc53};", out ulong pair); return pair; }
        private static ulong Pair27() { CudaAsm.Emit("mov.b64 %0, {gemm_acc54,gemm_acc55};", out ulong pair); return pair; }
        private static ulong Pair28() { CudaAsm.Emit("mov.b64 %0, {gemm_acc56,gemm_acc57};", out ulong pair); return pair; }
        private static ulong Pair29() { CudaAsm.Emit("mov.b64 %0, {gemm_acc58,gemm_acc59};", out ulong pair); return pair; }
        private static ulong Pair30() { CudaAsm.Emit("mov.b64 %0, {gemm_acc60,gemm_acc61};", out ulong pair); return pair; }
        private static ulong Pair31() { CudaAsm.Emit("mov.b64 %0, {gemm_acc62,gemm_acc63};", out ulong pair); return pair; }
    }

    /// <summary>
    /// 128 accumulators on the tensor cores (a 64 x 64 warp block, <see cref="GemmTensorCorePipelineKernel"/>): those of
    /// <see cref="PtxWarpAccumulators"/>, which declares all 128 registers, and pairs 32 to 63 read here (so that the
    /// kernels of 64 accumulators or fewer keep a jump table of 32 reads).
    /// </summary>
    internal readonly struct PtxWideWarpAccumulators : IWarpAccumulators
    {
        public void Declare() => default(PtxWarpAccumulators).Declare();

        public void Multiply<TMma>(TMma mma, int mmaRows, WarpFragments fragments) where TMma : struct, IMmaShape =>
            default(PtxWarpAccumulators).Multiply(mma, mmaRows, fragments);

        public (float Sum, float Next) ReadPair(int pair) => pair < 32 ? default(PtxWarpAccumulators).ReadPair(pair) : PtxWarpAccumulators.Split(pair switch
        {
            32 => Pair32(),
            33 => Pair33(),
            34 => Pair34(),
            35 => Pair35(),
            36 => Pair36(),
            37 => Pair37(),
            38 => Pair38(),
            39 => Pair39(),
            40 => Pair40(),
            41 => Pair41(),
            42 => Pair42(),
            43 => Pair43(),
            44 => Pair44(),
            45 => Pair45(),
            46 => Pair46(),
            47 => Pair47(),
            48 => Pair48(),
            49 => Pair49(),
            50 => Pair50(),
            51 => Pair51(),
            52 => Pair52(),
            53 => Pair53(),
            54 => Pair54(),
            55 => Pair55(),
            56 => Pair56(),
            57 => Pair57(),
            58 => Pair58(),
            59 => Pair59(),
            60 => Pair60(),
            61 => Pair61(),
            62 => Pair62(),
            _ => Pair63(),
        });

        private static ulong Pair32() { CudaAsm.Emit("mov.b64 %0, {gemm_acc64,gemm_acc65};", out ulong pair); return pair; }
        private static ulong Pair33() { CudaAsm.Emit("mov.b64 %0, {gemm_acc66,gemm_acc67};", out ulong pair); return pair; }
        private static ulong Pair34() { CudaAsm.Emit("mov.b64 %0, {gemm_acc68,gemm_acc69};", out ulong pair); return pair; }
        private static ulong Pair35() { CudaAsm.Emit("mov.b64 %0, {gemm_acc70,gemm_acc71};", out ulong pair); return pair; }
        private static ulong Pair36() { CudaAsm.Emit("mov.b64 %0, {gemm_acc72,gemm_acc73};", out ulong pair); return pair; }
        private static ulong Pair37() { CudaAsm.Emit("mov.b64 %0, {gemm_acc74,gemm_acc75};", out ulong pair); return pair; }
        private static ulong Pair38() { CudaAsm.Emit("mov.b64 %0, {gemm_acc76,gemm_acc77};", out ulong pair); return pair; }
        private static ulong Pair39() { CudaAsm.Emit("mov.b64 %0, {gemm_acc78,gemm_acc79};", out ulong pair); return pair; }
        private static ulong Pair40() { CudaAsm.Emit("mov.b64 %0, {gemm_acc80,gemm_acc81};", out ulong pair); return pair; }
        private static ulong Pair41() { CudaAsm.Emit("mov.b64 %0, {gemm_acc82,gemm_acc83};", out ulong pair); return pair; }
        private static ulong Pair42() { CudaAsm.Emit("mov.b64 %0, {gemm_acc84,gemm_acc85};", out ulong pair); return pair; }
        private static ulong Pair43() { CudaAsm.Emit("mov.b64 %0, {gemm_acc86,gemm_acc87};", out ulong pair); return pair; }
        private static ulong Pair44() { CudaAsm.Emit("mov.b64 %0, {gemm_acc88,gemm_acc89};", out ulong pair); return pair; }
        private static ulong Pair45() { CudaAsm.Emit("mov.b64 %0, {gemm_acc90,gemm_acc91};", out ulong pair); return pair; }
        private static ulong Pair46() { CudaAsm.Emit("mov.b64 %0, {gemm_acc92,gemm_acc93};", out ulong pair); return pair; }
        private static ulong Pair47() { CudaAsm.Emit("mov.b64 %0, {gemm_acc94,gemm_acc95};", out ulong pair); return pair; }
        private static ulong Pair48() { CudaAsm.Emit("mov.b64 %0, {gemm_acc96,gemm_acc97};", out ulong pair); return pair; }
        private static ulong Pair49() { CudaAsm.Emit("mov.b64 %0, {gemm_acc98,gemm_acc99};", out ulong pair); return pair; }
        private static ulong Pair50() { CudaAsm.Emit("mov.b64 %0, {gemm_acc100,gemm_acc101};", out ulong pair); return pair; }
        private static ulong Pair51() { CudaAsm.Emit("mov.b64 %0, {gemm_acc102,gemm_acc103};", out ulong pair); return pair; }
        private static ulong Pair52() { CudaAsm.Emit("mov.b64 %0, {gemm_acc104,gemm_acc105};", out ulong pair); return pair; }
        private static ulong Pair53() { CudaAsm.Emit("mov.b64 %0, {gemm_acc106,gemm_acc107};", out ulong pair); return pair; }
        private static ulong Pair54() { CudaAsm.Emit("mov.b64 %0, {gemm_acc108,gemm_acc109};", out ulong pair); return pair; }
        private static ulong Pair55() { CudaAsm.Emit("mov.b64 %0, {gemm_acc110,gemm_acc111};", out ulong pair); return pair; }
        private static ulong Pair56() { CudaAsm.Emit("mov.b64 %0, {gemm_acc112,gemm_acc113};", out ulong pair); return pair; }
        private static ulong Pair57() { CudaAsm.Emit("mov.b64 %0, {gemm_acc114,gemm_acc115};", out ulong pair); return pair; }
        private static ulong Pair58() { CudaAsm.Emit("mov.b64 %0, {gemm_acc116,gemm_acc117};", out ulong pair); return pair; }
        private static ulong Pair59() { CudaAsm.Emit("mov.b64 %0, {gemm_acc118,gemm_acc119};", out ulong pair); return pair; }
        private static ulong Pair60() { CudaAsm.Emit("mov.b64 %0, {gemm_acc120,gemm_acc121};", out ulong pair); return pair; }
        private static ulong Pair61() { CudaAsm.Emit("mov.b64 %0, {gemm_acc122,gemm_acc123};", out ulong pair); return pair; }
        private static ulong Pair62() { CudaAsm.Emit("mov.b64 %0, {gemm_acc124,gemm_acc125};", out ulong pair); return pair; }
        private static ulong Pair63() { CudaAsm.Emit("mov.b64 %0, {gemm_acc126,gemm_acc127};", out ulong pair); return pair; }
    }

    /// <summary>
    /// Where a thread's accumulators go in c: (<paramref name="Row"/>, <paramref name="Col"/>) is its first element of
    /// mma tile 0, <paramref name="Count"/> its accumulators (its warp's rows, <see cref="ITensorCoreTile.WarpRows"/>),
    /// <paramref name="Thread"/> its index in a group of <paramref name="Threads"/>.
    /// </summary>
    internal readonly record struct LaneAccumulators(int Row, int Col, int Count, int Thread, int Threads)
    {
        /// <summary>
        /// Where accumulator <paramref name="index"/> = 4 t + e is in c: element e of mma tile t (<see cref="MmaTile"/>) is at
        /// (Row + 16 rowTile + 8 (e / 2), Col + 8 columnTile + e % 2), the mma's accumulator layout.
        /// </summary>
        public (int Row, int Col) Position(int index)
        {
            var (rowTile, columnTile) = MmaTile(index >> 2);
            return (Row + 16 * rowTile + 8 * ((index >> 1) & 1), Col + 8 * columnTile + (index & 1));
        }

        /// <summary>
        /// The 16-row tile of a and 8-column tile of b that mma tile <paramref name="tile"/> of a warp's block multiplies:
        /// ((t / 4) mod 4, t mod 4 + 4 (t / 16)). Tiles 0 to 15 are a 64 x 32 block, 16 to 31 the 64 x 32 block right of
        /// it (a 64 x 64 warp block, <see cref="GemmTensorCorePipelineKernel"/>). In shifts and masks: ptxas turns ILGPU's
        /// <c>rem.s32</c> by a constant into a full division (about 20 instructions each, for every accumulator of the epilogue).
        /// </summary>
        public static (int Row, int Column) MmaTile(int tile) => ((tile >> 2) & 3, (tile & 3) + 4 * (tile >> 4));

        /// <summary>Accumulator <paramref name="index"/>'s slot among the partial sums of part <paramref name="part"/> of tile <paramref name="tile"/> of c.</summary>
        public long PartialIndex(GemmSplitK split, long tile, int part, int index) => split.PartialIndex(tile, part, index, Count, Thread, Threads);

        /// <summary>The sum over the parts of k of accumulator <paramref name="index"/> of tile <paramref name="tile"/> of c.</summary>
        public float Total(GemmSplitK split, long tile, int index) => split.Total(tile, index, Count, Thread, Threads);
    }

    /// <summary>Where each accumulator goes in c, through the epilogue, whole or as one part of a split k.</summary>
    internal static class WarpAccumulators
    {
        /// <summary>
        /// With k split: writes every accumulator to the group's part of the partials (<see cref="GemmSplitK"/>) and tells
        /// whether this group is the last of tile <paramref name="tile"/>'s parts to arrive (then it stores the sums).
        /// </summary>
        public static bool ArrivesLast<TAccumulators>(TAccumulators accumulators, LaneAccumulators lane, GemmSplitK split, long tile, int part)
            where TAccumulators : struct, IWarpAccumulators
        {
            for (int pair = 0; pair < lane.Count / 2; pair++)
            {
                var (sum, next) = accumulators.ReadPair(pair);
                split.Partials[lane.PartialIndex(split, tile, part, 2 * pair)] = sum;
                split.Partials[lane.PartialIndex(split, tile, part, 2 * pair + 1)] = next;
            }
            return LastArrival.ArrivesLast(split.Arrivals, tile, split.Parts);
        }

        /// <summary>Stores every accumulator through the epilogue, a pair of adjacent columns at a time.</summary>
        public static void Store<TAccumulators>(TAccumulators accumulators, LaneAccumulators lane, ArrayView<float> c, ArrayView<float> bias,
            ArrayView<float> operand, ArrayView<float> product, GemmShape s, long cFirst) where TAccumulators : struct, IWarpAccumulators
        {
            for (int pair = 0; pair < lane.Count / 2; pair++)
            {
                var (r, q) = lane.Position(2 * pair);
                var (sum, next) = accumulators.ReadPair(pair);
                if (r < s.M && q < s.N) GemmEpilogueStage.StorePair(c, bias, operand, product, s, cFirst, r, q, sum, next);
            }
        }

        /// <summary>
        /// Stores the sum over the parts of k of every accumulator through the epilogue (by the group that arrived last,
        /// <see cref="ArrivesLast"/>), then resets the tile's arrival counter.
        /// </summary>
        public static void StoreSums(LaneAccumulators lane, ArrayView<float> c, ArrayView<float> bias, ArrayView<float> operand, ArrayView<float> product,
            GemmShape s, long cFirst, GemmSplitK split, long tileOfC)
        {
            for (int pair = 0; pair < lane.Count / 2; pair++)
            {
                var (r, q) = lane.Position(2 * pair);
                if (r < s.M && q < s.N)
                    GemmEpilogueStage.StorePair(c, bias, operand, product, s, cFirst, r, q, lane.Total(split, tileOfC, 2 * pair), lane.Total(split, tileOfC, 2 * pair + 1));
            }
            LastArrival.Reset(split.Arrivals, tileOfC);
        }
    }
}

/// <summary>
/// A tile configuration of <see cref="GemmTensorCoreKernel"/>: a group computes <see cref="Size"/> x <see cref="Size"/>
/// elements of c, each warp a <see cref="WarpRows"/> x 32 block of them, and stages op(a) and op(b) <see cref="Depth"/>
/// k at a time. The kernel is specialised per configuration (a struct type argument), so every size is a constant in it.
/// </summary>
public interface ITensorCoreTile
{
    /// <summary>Rows and columns of c per group.</summary>
    int Size { get; }

    /// <summary>Rows of a warp's block of c (16 per mma tile; its columns are 32, 4 mma tiles), and a thread's accumulators.</summary>
    int WarpRows { get; }

    /// <summary>
    /// The depth of a stage of op(a) and op(b) in shared memory, in the elements staged: k, or words of BF16 pairs
    /// (twice the k, in the shared memory of TF32's stage; <see cref="GemmTensorCoreKernel.Bf16Pairs{TTile, TEdges}"/>).
    /// </summary>
    int Depth { get; }
}

/// <summary>
/// 64 x 64 tiles of c, 4 warps of 32 x 32, stages 32 deep (36 KB of shared memory in TF32, 20 KB in BF16 rounded as
/// staged, 32 KB in packed TF32 or BF16 pairs, 64 k deep): fits small products, and the default.
/// </summary>
public readonly struct TensorCoreTile64x64 : ITensorCoreTile
{
    /// <inheritdoc />
    public int Size => 64;

    /// <inheritdoc />
    public int WarpRows => 32;

    /// <inheritdoc />
    public int Depth => 32;
}

/// <summary>
/// 128 x 128 tiles of c, 8 warps of 64 x 32, stages 16 deep (40 KB of shared memory in TF32, where 32 deep would pass
/// the 48 KB of static shared memory; 24 KB in BF16 rounded as staged; 32 KB in packed TF32 or BF16 pairs, 32 k deep): per mma,
/// half the staging of 64 x 64 and three quarters of its fragment loads, at 64 accumulators a thread.
/// </summary>
public readonly struct TensorCoreTile128x128 : ITensorCoreTile
{
    /// <inheritdoc />
    public int Size => 128;

    /// <inheritdoc />
    public int WarpRows => 64;

    /// <inheritdoc />
    public int Depth => 16;
}
