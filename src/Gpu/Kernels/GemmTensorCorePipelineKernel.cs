using ILGPU;
using ILGPU.Runtime.Cuda;
using static BiGS.Native.Gpu.Kernels.GemmTensorCoreKernel;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// The tensor-core GEMM on packed operands (<see cref="GemmOperandPacking"/>: TF32 values or BF16 pairs in row pairs,
/// rows and k padded to whole blocks) with a three-stage pipeline of asynchronous copies and 64 x 64 warp blocks, for
/// CUDA sm_80+. A group computes a tile of c (<see cref="IGemmTile"/>: 64 or 128 rows and columns) with a warp per
/// 64 x 64 block of it, each warp's block 4 x 8 mma tiles (128 accumulators a thread): one warp at 64 x 64, two at
/// 128 x 64 and 64 x 128, four at 128 x 128.
/// <list type="bullet">
/// <item>Why 64 x 64: a k-step of a warp's block loads 4 fragments of a and 4 pairs of b's (8 128-bit shared loads) for
/// 32 mma, where <see cref="GemmTensorCoreKernel"/>'s 64 x 32 blocks load 6 for 16. Shared memory moves 128 bytes a
/// cycle, so with the staging's stores that kernel can feed the tensor cores about half their peak at best, this one
/// about two thirds. A warp's loads and mma are the same at every tile; a smaller tile gives a product more groups (a
/// BiGS-base product on 1,024 tokens has 48 tiles of 128 x 128 for an H200's 132 multiprocessors, 192 of 64 x 64), at the
/// cost of copying each operand more often from L2.</item>
/// <item>Why copies: staging through registers (<see cref="GemmDoubleBuffer"/>) would take 64 more registers a thread at
/// this warp block; <c>cp.async</c> writes shared memory without them, and keeps two stages in flight while a third is
/// multiplied. Packed operands need no rounding or rearranging on the way, so a copy is 16 bytes moved as they are,
/// and rows past the operand's packed rows are zero-filled (a copy's source size 0).</item>
/// </list>
/// A stage is <see cref="StageWords"/> words of each row (two mma k-steps), both operands: a row pair of 32 words per two
/// rows (or columns) of the tile, each pair's two blocks of 16 words swapped in every other pair
/// (<see cref="PreRoundedMma{TMma}.StagedWord"/>'s layout), so that a phase of 8 lanes of a fragment load meets each bank
/// once. Three stages take 24, 36 or 48 KB (48 KB is all the static shared memory a group may have), in PTX's own array
/// (<see cref="PtxStages"/>), run by <see cref="GemmPipeline"/>; the stages are addressed in 16-byte vectors by the C# code
/// and in bytes by the PTX; fragments stay in PTX registers from their load to the mma (an inline <c>out</c> operand goes
/// through local memory). The pipeline, the copies' places, the fragment addresses and the epilogue run on ILGPU's CPU
/// accelerator with the shared memory and the mma emulated (<see cref="EmulatedTf32{TTile}"/>,
/// <see cref="EmulatedBf16{TTile}"/>), where each copy completes at once. Launch: groups (ceil(n / columns), ceil(m /
/// rows), batch x parts of k) of <see cref="Threads(int, int)"/> threads, on the packed shape (k in a row pair's words, a multiple
/// of <see cref="PairWords"/> in every part), k split as <see cref="GemmTensorCoreKernel"/> splits it.
/// </summary>
public static class GemmTensorCorePipelineKernel
{
    /// <summary>Words of each row a stage holds: TF32 values or BF16 pairs, two mma k-steps of 8 words.</summary>
    public const int StageWords = 16;

    /// <summary>Words of a row pair a stage holds, in the packed shape's k: both rows' <see cref="StageWords"/>.</summary>
    public const int PairWords = 2 * StageWords;

    /// <summary>Stages in shared memory (<see cref="GemmPipeline"/>).</summary>
    public const int Stages = GemmPipeline.Stages;

    private const int WarpBlock = 64;
    private const int KSteps = StageWords / 8;
    private const int PairVectors = PairWords / 4;                  // 128-bit vectors of a staged row pair
    private const int BlockOfRowsVectors = 8 * PairVectors;        // 16 rows on: 8 pairs
    private const int CopiesPerRound = 4;

    /// <summary>Threads per group of a tile of <paramref name="rows"/> x <paramref name="columns"/>: a warp per 64 x 64 block.</summary>
    public static int Threads(int rows, int columns) => 32 * (rows / WarpBlock) * (columns / WarpBlock);

    /// <summary>Threads per group of the plans' tile <paramref name="tile"/>.</summary>
    public static int Threads(GemmTile tile) => Threads(GemmTiles.Rows(tile), GemmTiles.Columns(tile));

    /// <summary>Vectors of one operand's stage for a tile side of <paramref name="rows"/>: its row pairs' vectors.</summary>
    private static int OperandVectors(int rows) => rows / 2 * PairVectors;

    /// <summary>Vectors of a stage of both operands for tile <typeparamref name="TTile"/>: a, then b.</summary>
    internal static int StageVectors<TTile>() where TTile : struct, IGemmTile => OperandVectors(default(TTile).Rows()) + OperandVectors(default(TTile).Columns());

    /// <summary>The TF32 kernel (m16n8k8) on operands packed rounded to TF32.</summary>
    public static void Tf32<TTile>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split) where TTile : struct, IGemmTile =>
        Run<TTile, PtxPipelineSteps<Tf32Mmas>, PtxWideWarpAccumulators>(default, a, b, c, bias, operand, product, s, split);

    /// <summary>The BF16 kernel (m16n8k16) on operands packed as BF16 pairs.</summary>
    public static void Bf16<TTile>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split) where TTile : struct, IGemmTile =>
        Run<TTile, PtxPipelineSteps<Bf16Mmas>, PtxWideWarpAccumulators>(default, a, b, c, bias, operand, product, s, split);

    /// <summary><see cref="Tf32{TTile}"/> with its shared memory and mma emulated (ILGPU's CPU accelerator).</summary>
    public static void EmulatedTf32<TTile>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split) where TTile : struct, IGemmTile =>
        Run<TTile, EmulatedPipelineSteps<PreRoundedMma<Tf32Mma>>, GemmTensorCoreEmulation.EmulatedWarpAccumulators>(
            new(RoundedTf32Mma<TensorCoreTile128x128>()), a, b, c, bias, operand, product, s, split);

    /// <summary><see cref="Bf16{TTile}"/> with its shared memory and mma emulated (ILGPU's CPU accelerator).</summary>
    public static void EmulatedBf16<TTile>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split) where TTile : struct, IGemmTile =>
        Run<TTile, EmulatedPipelineSteps<PreRoundedMma<Bf16Mma<ArithmeticBf16Packing>>>, GemmTensorCoreEmulation.EmulatedWarpAccumulators>(
            new(Bf16PairsMma<TensorCoreTile128x128, ArithmeticBf16Packing>()), a, b, c, bias, operand, product, s, split);

    private static void Run<TTile, TSteps, TAccumulators>(TSteps steps, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split)
        where TTile : struct, IGemmTile where TSteps : struct, IPipelineSteps<TAccumulators> where TAccumulators : struct, IWarpAccumulators
    {
        int rows = default(TTile).Rows(), columns = default(TTile).Columns(), threads = Threads(rows, columns), operandVectorsA = OperandVectors(rows);
        int thread = Group.IdxX, lane = thread % 32, warp = thread / 32, warpsAcross = columns / WarpBlock;
        int rowBase = (s.FirstRowTile + Grid.IdxY) * rows, colBase = (s.FirstColumnTile + Grid.IdxX) * columns;
        int warpRow = warp / warpsAcross * WarpBlock, warpCol = warp % warpsAcross * WarpBlock;
        var (batch, part) = split.BatchAndPart();
        int kBegin = part * split.Depth, stages = (Math.Min(s.K, kBegin + split.Depth) - kBegin) / PairWords;
        steps.Declare(Stages * 16 * StageVectors<TTile>());
        var copiesA = new PipelineCopies(a.Cast<Float4>(), s.AddressA, batch * s.StrideA, s.Lda, rowBase, s.M, kBegin, thread, threads, operandVectorsA);
        var copiesB = new PipelineCopies(b.Cast<Float4>(), s.AddressB, batch * s.StrideB, s.Ldb, colBase, s.N, kBegin, thread, threads, OperandVectors(columns));
        var pipeline = new WarpStages<TSteps>(steps, copiesA, copiesB, FragmentVector(warpRow, lane), operandVectorsA + FragmentVector(warpCol, lane), lane,
            operandVectorsA, StageVectors<TTile>());
        GemmPipeline.Run(ref pipeline, stages);
        var accumulators = pipeline.Steps.Accumulators;
        var lanePlace = new LaneAccumulators(rowBase + warpRow + lane / 4, colBase + warpCol + 2 * (lane % 4), 2 * WarpBlock, thread, threads);
        long cFirst = batch * (long)s.M * s.N;
        if (split.Parts == 1)
        {
            WarpAccumulators.Store(accumulators, lanePlace, c, bias, operand, product, s, cFirst);
            return;
        }
        long tileOfC = split.Tile(batch);
        if (WarpAccumulators.ArrivesLast(accumulators, lanePlace, split, tileOfC, part))
            WarpAccumulators.StoreSums(lanePlace, c, bias, operand, product, s, cFirst, split, tileOfC);
    }

    /// <summary>
    /// A thread's part of the pipeline (<see cref="GemmPipeline.Run"/>): its copies of both operands, and the k-steps of
    /// its warp's block from its fragments' vectors at k-step 0 of a buffer (a's at <paramref name="fragmentA"/>, b's at
    /// <paramref name="fragmentB"/>); a buffer is <paramref name="stageVectors"/>, b's part of it <paramref name="operandVectorsA"/> on.
    /// </summary>
    private struct WarpStages<TSteps>(TSteps steps, PipelineCopies a, PipelineCopies b, int fragmentA, int fragmentB, int lane,
        int operandVectorsA, int stageVectors) : IPipelinedStages
        where TSteps : struct, IPipelineSteps
    {
        public TSteps Steps = steps;

        public void Copy(int stage, int buffer)
        {
            int first = buffer * stageVectors;
            a.Copy(ref Steps, first, stage);
            b.Copy(ref Steps, first + operandVectorsA, stage);
        }

        public void Commit() => Steps.Commit();

        public void WaitForOldestStage() => Steps.WaitForOldestStage();

        public void Multiply(int buffer)
        {
            int first = buffer * stageVectors;
            for (int kStep = 0; kStep < KSteps; kStep++)
                Steps.Multiply(first + SwizzledStep(fragmentA, lane, kStep), first + SwizzledStep(fragmentB, lane, kStep));
        }
    }

    /// <summary>
    /// The vector of lane (r, q) = (lane / 4, lane % 4) of the first 16 rows (or columns) of a warp block starting at
    /// <paramref name="blockRow"/> of the tile, at k-step 0 unswizzled: row r's pair, its vector q. The block's rows 16 i
    /// on are <see cref="BlockOfRowsVectors"/> i further.
    /// </summary>
    private static int FragmentVector(int blockRow, int lane) => (blockRow / 2 + lane / 4) * PairVectors + lane % 4;

    /// <summary>
    /// <paramref name="vector"/> moved to k-step <paramref name="kStep"/>'s block of 16 words, which odd pairs (odd r:
    /// the pairs of a block of rows start even) hold swapped.
    /// </summary>
    private static int SwizzledStep(int vector, int lane, int kStep) => vector + 4 * (kStep ^ (lane / 4 & 1));

    /// <summary>
    /// One operand's copies of a thread: vectors t, t + T, t + 2 T, ... of a stage (T the group's threads; pair p = v / 8,
    /// vector v mod 8 of the pair), so that one copy of a warp moves 4 pairs' whole stage (128 contiguous bytes each),
    /// from the packed operand's pairs T / 8 apart. Its vector of a pair, and the pair's parity, are the same in each, so
    /// one swizzled offset serves all. A thread makes one round of 4 copies (<see cref="CopyRound"/>: a tile side of 128
    /// rows with 128 threads, or of 64 with 64) or two (the group has half as many threads as the side's rows). The device
    /// address of each copy at the part's first k is found once; a stage adds the same bytes to each (one 64-bit add). A
    /// copy outside the packed rows reads nothing (source size 0) and writes zeros.
    /// </summary>
    private readonly struct PipelineCopies
    {
        private readonly ArrayView<Float4> vectors;
        private readonly ulong operand;   // the device address of vector 0
        private readonly CopyRound first, second;
        private readonly bool secondRound;
        private readonly int sharedOffset, sharedApart;

        public PipelineCopies(ArrayView<Float4> operand, ulong address, long matrixFirst, int ld, int tileFirstRow, int rows, int kBegin,
            int thread, int threads, int operandVectors)
        {
            vectors = operand;
            this.operand = address;
            int pairsPerCopy = threads / PairVectors;
            int firstPair = tileFirstRow / 2 + thread / PairVectors, vector = thread % PairVectors;
            int pairsLeft = GemmOperandPacking.RowPairs(rows) - firstPair;
            long firstVector = matrixFirst / 4 + (long)firstPair * (ld / 4) + kBegin / 4 + vector;
            // a copy outside reads nothing, at the matrix's first pair (so that its address, moved on each stage, stays
            // in the operand)
            ulong firstAddress = address + 16 * (ulong)firstVector, apart = 16 * (ulong)pairsPerCopy * (ulong)(ld / 4);
            ulong outside = address + 16 * (ulong)(matrixFirst / 4 + kBegin / 4 + vector);
            first = new CopyRound(firstAddress, apart, outside, pairsLeft, pairsPerCopy);
            second = new CopyRound(firstAddress + CopiesPerRound * apart, apart, outside, pairsLeft - CopiesPerRound * pairsPerCopy, pairsPerCopy);
            secondRound = operandVectors > CopiesPerRound * threads;
            sharedApart = pairsPerCopy * PairVectors;
            sharedOffset = thread / PairVectors * PairVectors + (vector ^ (firstPair & 1) * 4);
        }

        /// <summary>Starts this thread's copies of stage <paramref name="stage"/> into the operand's stage at vector <paramref name="first"/> of the shared tiles.</summary>
        public void Copy<TSteps>(ref TSteps steps, int first, int stage) where TSteps : struct, IPipelineSteps
        {
            int to = first + sharedOffset;
            ulong bytes = 16 * (ulong)(stage * PairVectors);
            this.first.Copy(ref steps, vectors, operand, to, sharedApart, bytes);
            if (secondRound) second.Copy(ref steps, vectors, operand, to + CopiesPerRound * sharedApart, sharedApart, bytes);
        }
    }

    /// <summary>Four copies of a thread: each one's device address at the part's first k, and whether it reads the operand.</summary>
    private readonly struct CopyRound
    {
        private readonly bool inside0, inside1, inside2, inside3;
        private readonly ulong address0, address1, address2, address3;

        /// <summary>
        /// Copies of pairs <paramref name="pairsPerCopy"/> apart from the one at <paramref name="firstAddress"/>, each at
        /// <paramref name="outside"/> instead where it is not among the <paramref name="pairsLeft"/> packed pairs from the first.
        /// </summary>
        public CopyRound(ulong firstAddress, ulong apart, ulong outside, int pairsLeft, int pairsPerCopy)
        {
            (inside0, inside1, inside2, inside3) = (pairsLeft > 0, pairsLeft > pairsPerCopy, pairsLeft > 2 * pairsPerCopy, pairsLeft > 3 * pairsPerCopy);
            address0 = inside0 ? firstAddress : outside;
            address1 = inside1 ? firstAddress + apart : outside;
            address2 = inside2 ? firstAddress + 2 * apart : outside;
            address3 = inside3 ? firstAddress + 3 * apart : outside;
        }

        /// <summary>Starts the four copies, <paramref name="bytes"/> on from their addresses, to shared vectors <paramref name="to"/> and each <paramref name="sharedApart"/> on.</summary>
        public void Copy<TSteps>(ref TSteps steps, ArrayView<Float4> vectors, ulong operand, int to, int sharedApart, ulong bytes) where TSteps : struct, IPipelineSteps
        {
            steps.Copy(to, vectors, operand, address0 + bytes, inside0);
            steps.Copy(to + sharedApart, vectors, operand, address1 + bytes, inside1);
            steps.Copy(to + 2 * sharedApart, vectors, operand, address2 + bytes, inside2);
            steps.Copy(to + 3 * sharedApart, vectors, operand, address3 + bytes, inside3);
        }
    }

    /// <summary>The pipeline's memory and arithmetic: on the GPU in PTX (<see cref="PtxPipelineSteps{TMmas}"/>), or emulated.</summary>
    internal interface IPipelineSteps
    {
        /// <summary>Declares the shared stages, <paramref name="bytes"/> (a constant of each tile), and the registers (once, every thread).</summary>
        void Declare(int bytes);

        /// <summary>
        /// Starts copying 16 bytes, at device address <paramref name="address"/> of the operand <paramref name="vectors"/>
        /// (whose vector 0 is at <paramref name="operand"/>), to vector <paramref name="to"/> of the shared stages; zeros
        /// where not <paramref name="inside"/> (<see cref="EmulatedCopies"/>).
        /// </summary>
        void Copy(int to, ArrayView<Float4> vectors, ulong operand, ulong address, bool inside);

        /// <summary>Closes the copies started since the last commit into one group.</summary>
        void Commit();

        /// <summary>Waits until at most the newest <see cref="Stages"/> - 2 groups of this thread's copies are in flight.</summary>
        void WaitForOldestStage();

        /// <summary>
        /// One k-step of the warp's 64 x 64 block: from shared vector <paramref name="a"/> (the lane's fragment of a's first
        /// 16 rows; the next at <see cref="BlockOfRowsVectors"/> on) and <paramref name="b"/> (its fragments of b's first
        /// two 8-column tiles; the next two at the same step on), the 32 mma.
        /// </summary>
        void Multiply(int a, int b);
    }

    /// <summary><see cref="IPipelineSteps"/> whose accumulators the epilogue reads.</summary>
    internal interface IPipelineSteps<TAccumulators> : IPipelineSteps where TAccumulators : struct, IWarpAccumulators
    {
        /// <summary>The accumulators, after the last k-step.</summary>
        TAccumulators Accumulators { get; }
    }

    /// <summary>
    /// The pipeline in PTX: the stages are gemm_stages (a <c>.shared</c> array), fragments the registers gemm_a0-15 (a's
    /// four 16-row tiles) and gemm_b0-15 (b's eight 8-column tiles, two registers each), accumulators those of
    /// <see cref="PtxWideWarpAccumulators"/>, mma tile t (accumulators 4 t on) at a's row tile (t / 4) mod 4 and b's column
    /// tile t mod 4 + 4 (t / 16) (<see cref="LaneAccumulators.Position"/>).
    /// </summary>
    private struct PtxPipelineSteps<TMmas> : IPipelineSteps<PtxWideWarpAccumulators> where TMmas : struct, IPipelineMmas
    {
        private uint stages;

        public readonly PtxWideWarpAccumulators Accumulators => default;

        public void Declare(int bytes)
        {
            default(PtxWideWarpAccumulators).Declare();
            CudaAsm.Emit(".reg .b32 gemm_a<16>; .reg .b32 gemm_b<16>;");
            stages = PtxStages.Declare(bytes);
        }

        public readonly void Copy(int to, ArrayView<Float4> vectors, ulong operand, ulong address, bool inside) =>
            PtxStages.Copy(Address(to), address, inside ? 16u : 0u);

        public readonly void Commit() => PtxStages.Commit();

        public readonly void WaitForOldestStage() => PtxStages.WaitForOldestStage();

        public readonly void Multiply(int a, int b)
        {
            CudaAsm.Emit(
                "ld.shared.v4.b32 {gemm_a0,gemm_a1,gemm_a2,gemm_a3}, [%0]; ld.shared.v4.b32 {gemm_a4,gemm_a5,gemm_a6,gemm_a7}, [%1];" +
                "ld.shared.v4.b32 {gemm_a8,gemm_a9,gemm_a10,gemm_a11}, [%2]; ld.shared.v4.b32 {gemm_a12,gemm_a13,gemm_a14,gemm_a15}, [%3];" +
                "ld.shared.v4.b32 {gemm_b0,gemm_b1,gemm_b2,gemm_b3}, [%4]; ld.shared.v4.b32 {gemm_b4,gemm_b5,gemm_b6,gemm_b7}, [%5];" +
                "ld.shared.v4.b32 {gemm_b8,gemm_b9,gemm_b10,gemm_b11}, [%6]; ld.shared.v4.b32 {gemm_b12,gemm_b13,gemm_b14,gemm_b15}, [%7];",
                Address(a), Address(a + BlockOfRowsVectors), Address(a + 2 * BlockOfRowsVectors), Address(a + 3 * BlockOfRowsVectors),
                Address(b), Address(b + BlockOfRowsVectors), Address(b + 2 * BlockOfRowsVectors), Address(b + 3 * BlockOfRowsVectors));
            default(TMmas).Multiply();
        }

        private readonly uint Address(int vector) => stages + 16 * (uint)vector;
    }

    /// <summary>The 32 mma of a k-step on the fragments of <see cref="PtxPipelineSteps{TMmas}"/> in one precision.</summary>
    internal interface IPipelineMmas
    {
        /// <summary>The k-step's mma, tiles 0 to 31 (<see cref="PipelineMmaOperands"/>).</summary>
        void Multiply();
    }

    private readonly struct Tf32Mmas : IPipelineMmas
    {
        public void Multiply() => CudaAsm.Emit(PipelineMmaOperands.Tf32Step);
    }

    private readonly struct Bf16Mmas : IPipelineMmas
    {
        public void Multiply() => CudaAsm.Emit(PipelineMmaOperands.Bf16Step);
    }

    /// <summary>
    /// The pipeline emulated on ILGPU's CPU accelerator: the stages in ILGPU's shared memory, each copy done at once, the
    /// fragments read as <typeparamref name="TMma"/> reads them and multiplied by <see cref="GemmTensorCoreEmulation"/>'s
    /// accumulators (columns 0 to 31 of the warp block in one <see cref="WarpFragments"/>, 32 to 63 in another).
    /// </summary>
    private struct EmulatedPipelineSteps<TMma>(TMma mma) : IPipelineSteps<GemmTensorCoreEmulation.EmulatedWarpAccumulators>
        where TMma : struct, IMmaShape
    {
        private ArrayView<Float4> stages;
        private GemmTensorCoreEmulation.EmulatedWarpAccumulators accumulators;

        public readonly GemmTensorCoreEmulation.EmulatedWarpAccumulators Accumulators => accumulators;

        public void Declare(int bytes)
        {
            accumulators.Declare();
            stages = SharedMemory.Allocate<Float4>(GemmPipeline.SharedBytes / 16);   // the most the PTX declares
        }

        public readonly void Copy(int to, ArrayView<Float4> vectors, ulong operand, ulong address, bool inside) =>
            stages[to] = inside ? EmulatedCopies.Read(vectors, operand, address) : default;

        public readonly void Commit()
        {
        }

        public readonly void WaitForOldestStage()
        {
        }

        public void Multiply(int a, int b)
        {
            var words = stages.Cast<float>();
            var left = Columns(new WarpFragments
            {
                A0 = mma.LoadA(words, a), A1 = mma.LoadA(words, a + BlockOfRowsVectors),
                A2 = mma.LoadA(words, a + 2 * BlockOfRowsVectors), A3 = mma.LoadA(words, a + 3 * BlockOfRowsVectors),
            }, words, b);
            accumulators.MultiplyWide(mma, left, Columns(default, words, b + 2 * BlockOfRowsVectors));
        }

        /// <summary><paramref name="fragments"/> with b's four column tiles from the 16 columns at <paramref name="b"/> and the next 16.</summary>
        private readonly WarpFragments Columns(WarpFragments fragments, ArrayView<float> words, int b)
        {
            (fragments.B0, fragments.B1) = mma.LoadBPair(words, b);
            (fragments.B2, fragments.B3) = mma.LoadBPair(words, b + BlockOfRowsVectors);
            return fragments;
        }
    }
}

/// <summary>
/// The PTX of <see cref="GemmTensorCorePipelineKernel"/>'s k-step: mma tile t (0 to 31) adds a's row tile (t / 4) mod 4
/// (registers gemm_a 4 i on) times b's column tile j = t mod 4 + 4 (t / 16) (gemm_b 4 (j / 2) + 2 (j mod 2) and the next)
/// into accumulators 4 t to 4 t + 3, where <see cref="GemmTensorCoreKernel.LaneAccumulators.Position"/> puts them in c.
/// </summary>
internal static class PipelineMmaOperands
{
    private const string Tf32 = MmaPtx.Tf32, Bf16 = MmaPtx.Bf16;

    private const string Tile0 = " {gemm_acc0,gemm_acc1,gemm_acc2,gemm_acc3}, {gemm_a0,gemm_a1,gemm_a2,gemm_a3}, {gemm_b0,gemm_b1}, {gemm_acc0,gemm_acc1,gemm_acc2,gemm_acc3};";
    private const string Tile1 = " {gemm_acc4,gemm_acc5,gemm_acc6,gemm_acc7}, {gemm_a0,gemm_a1,gemm_a2,gemm_a3}, {gemm_b2,gemm_b3}, {gemm_acc4,gemm_acc5,gemm_acc6,gemm_acc7};";
    private const string Tile2 = " {gemm_acc8,gemm_acc9,gemm_acc10,gemm_acc11}, {gemm_a0,gemm_a1,gemm_a2,gemm_a3}, {gemm_b4,gemm_b5}, {gemm_acc8,gemm_acc9,gemm_acc10,gemm_acc11};";
    private const string Tile3 = " {gemm_acc12,gemm_acc13,gemm_acc14,gemm_acc15}, {gemm_a0,gemm_a1,gemm_a2,gemm_a3}, {gemm_b6,gemm_b7}, {gemm_acc12,gemm_acc13,gemm_acc14,gemm_acc15};";
    private const string Tile4 = " {gemm_acc16,gemm_acc17,gemm_acc18,gemm_acc19}, {gemm_a4,gemm_a5,gemm_a6,gemm_a7}, {gemm_b0,gemm_b1}, {gemm_acc16,gemm_acc17,gemm_acc18,gemm_acc19};";
    private const string Tile5 = " {gemm_acc20,gemm_acc21,gemm_acc22,gemm_acc23}, {gemm_a4,gemm_a5,gemm_a6,gemm_a7}, {gemm_b2,gemm_b3}, {gemm_acc20,gemm_acc21,gemm_acc22,gemm_acc23};";
    private const string Tile6 = " {gemm_acc24,gemm_acc25,gemm_acc26,gemm_acc27}, {gemm_a4,gemm_a5,gemm_a6,gemm_a7}, {gemm_b4,gemm_b5}, {gemm_acc24,gemm_acc25,gemm_acc26,gemm_acc27};";
    private const string Tile7 = " {gemm_acc28,gemm_acc29,gemm_acc30,gemm_acc31}, {gemm_a4,gemm_a5,gemm_a6,gemm_a7}, {gemm_b6,gemm_b7}, {gemm_acc28,gemm_acc29,gemm_acc30,gemm_acc31};";
    private const string Tile8 = " {gemm_acc32,gemm_acc33,gemm_acc34,gemm_acc35}, {gemm_a8,gemm_a9,gemm_a10,gemm_a11}, {gemm_b0,gemm_b1}, {gemm_acc32,gemm_acc33,gemm_acc34,gemm_acc35};";
    private const string Tile9 = " {gemm_acc36,gemm_acc37,gemm_acc38,gemm_acc39}, {gemm_a8,gemm_a9,gemm_a10,gemm_a11}, {gemm_b2,gemm_b3}, {gemm_acc36,gemm_acc37,gemm_acc38,gemm_acc39};";
    private const string Tile10 = " {gemm_acc40,gemm_acc41,gemm_acc42,gemm_acc43}, {gemm_a8,gemm_a9,gemm_a10,gemm_a11}, {gemm_b4,gemm_b5}, {gemm_acc40,gemm_acc41,gemm_acc42,gemm_acc43};";
    private const string Tile11 = " {gemm_acc44,gemm_acc45,gemm_acc46,gemm_acc47}, {gemm_a8,gemm_a9,gemm_a10,gemm_a11}, {gemm_b6,gemm_b7}, {gemm_acc44,gemm_acc45,gemm_acc46,gemm_acc47};";
    private const string Tile12 = " {gemm_acc48,gemm_acc49,gemm_acc50,gemm_acc51}, {gemm_a12,gemm_a13,gemm_a14,gemm_a15}, {gemm_b0,gemm_b1}, {gemm_acc48,gemm_acc49,gemm_acc50,gemm_acc51};";
    private const string Tile13 = " {gemm_acc52,gemm_acc53,gemm_acc54,gemm_acc55}, {gemm_a12,gemm_a13,gemm_a14,gemm_a15}, {gemm_b2,gemm_b3}, {gemm_acc52,gemm_acc53,gemm_acc54,gemm_acc55};";
    private const string Tile14 = " {gemm_acc56,gemm_acc57,gemm_acc58,gemm_acc59}, {gemm_a12,gemm_a13,gemm_a14,gemm_a15}, {gemm_b4,gemm_b5}, {gemm_acc56,gemm_acc57,gemm_acc58,gemm_acc59};";
    private const string Tile15 = " {gemm_acc60,gemm_acc61,gemm_acc62,gemm_acc63}, {gemm_a12,gemm_a13,gemm_a14,gemm_a15}, {gemm_b6,gemm_b7}, {gemm_acc60,gemm_acc61,gemm_acc62,gemm_acc63};";
    private const string Tile16 = " {gemm_acc64,gemm_acc65,gemm_acc66,gemm_acc67}, {gemm_a0,gemm_a1,gemm_a2,gemm_a3}, {gemm_b8,gemm_b9}, {gemm_acc64,gemm_acc65,gemm_acc66,gemm_acc67};";
    private const string Tile17 = " {gemm_acc68,gemm_acc69,gemm_acc70,gemm_acc71}, {gemm_a0,gemm_a1,gemm_a2,gemm_a3}, {gemm_b10,gemm_b11}, {gemm_acc68,gemm_acc69,gemm_acc70,gemm_acc71};";
    private const string Tile18 = " {gemm_acc72,gemm_acc73,gemm_acc74,gemm_acc75}, {gemm_a0,gemm_a1,gemm_a2,gemm_a3}, {gemm_b12,gemm_b13}, {gemm_acc72,gemm_acc73,gemm_acc74,gemm_acc75};";
    private const string Tile19 = " {gemm_acc76,gemm_acc77,gemm_acc78,gemm_acc79}, {gemm_a0,gemm_a1,gemm_a2,gemm_a3}, {gemm_b14,gemm_b15}, {gemm_acc76,gemm_acc77,gemm_acc78,gemm_acc79};";
    private const string Tile20 = " {gemm_acc80,gemm_acc81,gemm_acc82,gemm_acc83}, {gemm_a4,gemm_a5,gemm_a6,gemm_a7}, {gemm_b8,gemm_b9}, {gemm_acc80,gemm_acc81,gemm_acc82,gemm_acc83};";
    private const string Tile21 = " {gemm_acc84,gemm_acc85,gemm_acc86,gemm_acc87}, {gemm_a4,gemm_a5,gemm_a6,gemm_a7}, {gemm_b10,gemm_b11}, {gemm_acc84,gemm_acc85,gemm_acc86,gemm_acc87};";
    private const string Tile22 = " {gemm_acc88,gemm_acc89,gemm_acc90,gemm_acc91}, {gemm_a4,gemm_a5,gemm_a6,gemm_a7}, {gemm_b12,gemm_b13}, {gemm_acc88,gemm_acc89,gemm_acc90,gemm_acc91};";
    private const string Tile23 = " {gemm_acc92,gemm_acc93,gemm_acc94,gemm_acc95}, {gemm_a4,gemm_a5,gemm_a6,gemm_a7}, {gemm_b14,gemm_b15}, {gemm_acc92,gemm_acc93,gemm_acc94,gemm_acc95};";
    private const string Tile24 = " {gemm_acc96,gemm_acc97,gemm_acc98,gemm_acc99}, {gemm_a8,gemm_a9,gemm_a10,gemm_a11}, {gemm_b8,gemm_b9}, {gemm_acc96,gemm_acc97,gemm_acc98,gemm_acc99};";
    private const string Tile25 = " {gemm_acc100,gemm_acc101,gemm_acc102,gemm_acc103}, {gemm_a8,gemm_a9,gemm_a10,gemm_a11}, {gemm_b10,gemm_b11}, {gemm_acc100,gemm_acc101,gemm_acc102,gemm_acc103};";
    private const string Tile26 = " {gemm_acc104,gemm_acc105,gemm_acc106,gemm_acc107}, {gemm_a8,gemm_a9,gemm_a10,gemm_a11}, {gemm_b12,gemm_b13}, {gemm_acc104,gemm_acc105,gemm_acc106,gemm_acc107};";
    private const string Tile27 = " {gemm_acc108,gemm_acc109,gemm_acc110,gemm_acc111}, {gemm_a8,gemm_a9,gemm_a10,gemm_a11}, {gemm_b14,gemm_b15}, {gemm_acc108,gemm_acc109,gemm_acc110,gemm_acc111};";
    private const string Tile28 = " {gemm_acc112,gemm_acc113,gemm_acc114,gemm_acc115}, {gemm_a12,gemm_a13,gemm_a14,gemm_a15}, {gemm_b8,gemm_b9}, {gemm_acc112,gemm_acc113,gemm_acc114,gemm_acc115};";
    private const string Tile29 = " {gemm_acc116,gemm_acc117,gemm_acc118,gemm_acc119}, {gemm_a12,gemm_a13,gemm_a14,gemm_a15}, {gemm_b10,gemm_b11}, {gemm_acc116,gemm_acc117,gemm_acc118,gemm_acc119};";
    private const string Tile30 = " {gemm_acc120,gemm_acc121,gemm_acc122,gemm_acc123}, {gemm_a12,gemm_a13,gemm_a14,gemm_a15}, {gemm_b12,gemm_b13}, {gemm_acc120,gemm_acc121,gemm_acc122,gemm_acc123};";
    private const string Tile31 = " {gemm_acc124,gemm_acc125,gemm_acc126,gemm_acc127}, {gemm_a12,gemm_a13,gemm_a14,gemm_a15}, {gemm_b14,gemm_b15}, {gemm_acc124,gemm_acc125,gemm_acc126,gemm_acc127};";

    /// <summary>The 32 mma of a TF32 k-step (m16n8k8).</summary>
    public const string Tf32Step = Tf32 + Tile0 + Tf32 + Tile1 + Tf32 + Tile2 + Tf32 + Tile3 +
        Tf32 + Tile4 + Tf32 + Tile5 + Tf32 + Tile6 + Tf32 + Tile7 +
        Tf32 + Tile8 + Tf32 + Tile9 + Tf32 + Tile10 + Tf32 + Tile11 +
        Tf32 + Tile12 + Tf32 + Tile13 + Tf32 + Tile14 + Tf32 + Tile15 +
        Tf32 + Tile16 + Tf32 + Tile17 + Tf32 + Tile18 + Tf32 + Tile19 +
        Tf32 + Tile20 + Tf32 + Tile21 + Tf32 + Tile22 + Tf32 + Tile23 +
        Tf32 + Tile24 + Tf32 + Tile25 + Tf32 + Tile26 + Tf32 + Tile27 +
        Tf32 + Tile28 + Tf32 + Tile29 + Tf32 + Tile30 + Tf32 + Tile31;

    /// <summary>The 32 mma of a BF16 k-step (m16n8k16).</summary>
    public const string Bf16Step = Bf16 + Tile0 + Bf16 + Tile1 + Bf16 + Tile2 + Bf16 + Tile3 +
        Bf16 + Tile4 + Bf16 + Tile5 + Bf16 + Tile6 + Bf16 + Tile7 +
        Bf16 + Tile8 + Bf16 + Tile9 + Bf16 + Tile10 + Bf16 + Tile11 +
        Bf16 + Tile12 + Bf16 + Tile13 + Bf16 + Tile14 + Bf16 + Tile15 +
        Bf16 + Tile16 + Bf16 + Tile17 + Bf16 + Tile18 + Bf16 + Tile19 +
        Bf16 + Tile20 + Bf16 + Tile21 + Bf16 + Tile22 + Bf16 + Tile23 +
        Bf16 + Tile24 + Bf16 + Tile25 + Bf16 + Tile26 + Bf16 + Tile27 +
        Bf16 + Tile28 + Bf16 + Tile29 + Bf16 + Tile30 + Bf16 + Tile31;
}
