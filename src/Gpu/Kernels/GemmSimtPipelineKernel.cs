using ILGPU;
using ILGPU.Runtime.Cuda;
using BiGS.Native.Kernels.Cpu;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// The fp32 SIMT GEMM on operands packed k-major (<see cref="PackedFragments.KMajor"/>: op(a)^T and op(b), a row of m or n
/// per k, rows padded to whole tiles and k to whole stages) with a three-stage pipeline of asynchronous copies
/// (<see cref="GemmPipeline"/>), for CUDA sm_80+. A group computes a tile of c (<see cref="IGemmTile"/>: 64 or 128 rows
/// and columns), each thread 8 x 8 of it at <see cref="GemmKernel"/>'s places, with its arithmetic: per k, four 128-bit
/// shared loads and 64 multiply-adds.
/// <list type="bullet">
/// <item>Why: <see cref="GemmKernel"/> stages its operands through registers, rearranging them into its k-major shared
/// tiles, which takes about 1180 instructions a stage of 1024 multiply-adds at its 128 x 128 tile in NT (ptxas 11.8 for
/// sm_90, bench/compare/README.md entry 25); on an H200 a BiGS-base step's products took 1 / 0.70 of cuBLAS's time
/// (entry 31). Packed k-major, a stage of an operand is 16 runs of a tile side's contiguous floats already in the shared
/// tile's layout, so 16-byte <c>cp.async</c> copies fill it, with no registers, no rearranging and no bounds (the packing
/// pads); and three stages keep two in flight where the register staging kept one.</item>
/// <item>The k-steps are PTX: the stages are PTX's own array (<see cref="PtxStages"/>), whose loads ILGPU cannot make, and
/// an inline <c>out</c> operand goes through local memory, so the operands and the accumulators are named PTX registers
/// (gemm_fa0-7, gemm_fb0-7; the accumulators of <see cref="GemmTensorCoreKernel.PtxWarpAccumulators"/>, gemm_acc 8 i + j)
/// from their load to the epilogue.</item>
/// </list>
/// On ILGPU's CPU accelerator the same pipeline, copies and epilogue run with the stages in ILGPU's shared memory and
/// <see cref="GemmKernel"/>'s arithmetic (<see cref="EmulatedFp32{TTile}"/>), each copy done at once. Launch: groups
/// (ceil(n / columns), ceil(m / rows), batch x parts of k) of (<see cref="IGemmTile.ThreadColumns"/>,
/// <see cref="IGemmTile.ThreadRows"/>) threads, on the packed shape (k a multiple of <see cref="Depth"/> in every part,
/// Lda and Ldb the packed rows), k split as <see cref="GemmKernel"/> splits it.
/// </summary>
public static class GemmSimtPipelineKernel
{
    /// <summary>The largest side of a tile, to which the packing pads the rows of both operands (so every tile is whole).</summary>
    public const int LargestTile = 128;

    /// <summary>The k depth of a stage.</summary>
    public const int Depth = GemmKernel.Depth;

    /// <summary>The kernel (see the class summary).</summary>
    public static void Fp32<TTile>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split) where TTile : struct, IGemmTile =>
        Run<TTile, PtxSteps<TTile>, PtxThreadAccumulators>(default, a, b, c, bias, operand, product, s, split);

    /// <summary><see cref="Fp32{TTile}"/> with its shared memory and PTX emulated (ILGPU's CPU accelerator).</summary>
    public static void EmulatedFp32<TTile>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split) where TTile : struct, IGemmTile =>
        Run<TTile, EmulatedSteps<TTile>, GemmKernel.Block8x8>(default, a, b, c, bias, operand, product, s, split);

    /// <summary>128-bit vectors of one k row of a's stage: the tile's rows.</summary>
    private static int RowVectorsA<TTile>() where TTile : struct, IGemmTile => default(TTile).Rows() / 4;

    /// <summary>128-bit vectors of one k row of b's stage: the tile's columns.</summary>
    private static int RowVectorsB<TTile>() where TTile : struct, IGemmTile => default(TTile).Columns() / 4;

    /// <summary>Vectors of a stage of a (its <see cref="Depth"/> k rows), where b's begin.</summary>
    private static int OperandVectorsA<TTile>() where TTile : struct, IGemmTile => Depth * RowVectorsA<TTile>();

    /// <summary>Vectors of a stage of both operands: a, then b.</summary>
    private static int StageVectors<TTile>() where TTile : struct, IGemmTile => OperandVectorsA<TTile>() + Depth * RowVectorsB<TTile>();

    private static void Run<TTile, TSteps, TAccumulators>(TSteps steps, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split)
        where TTile : struct, IGemmTile where TSteps : struct, ISteps<TAccumulators> where TAccumulators : struct, IThreadAccumulators
    {
        int threadRows = default(TTile).ThreadRows, threadColumns = default(TTile).ThreadColumns, threads = threadRows * threadColumns;
        int thread = Group.IdxY * threadColumns + Group.IdxX;
        var (ty, tx) = WarpArranged(thread, threadColumns);
        var place = new GemmKernel.ThreadBlock((s.FirstRowTile + Grid.IdxY) * default(TTile).Rows(),
            (s.FirstColumnTile + Grid.IdxX) * default(TTile).Columns(), ty, tx, threadRows, threadColumns);
        var (batch, part) = split.BatchAndPart();
        int kBegin = part * split.Depth, stages = (Math.Min(s.K, kBegin + split.Depth) - kBegin) / Depth;
        steps.Declare(ty, tx);
        var pipeline = new ThreadStages<TSteps>(steps,
            new KMajorCopies(a.Cast<Float4>(), s.AddressA, batch * s.StrideA, s.Lda, place.RowBase, RowVectorsA<TTile>(), kBegin, thread, threads),
            new KMajorCopies(b.Cast<Float4>(), s.AddressB, batch * s.StrideB, s.Ldb, place.ColBase, RowVectorsB<TTile>(), kBegin, thread, threads),
            OperandVectorsA<TTile>(), StageVectors<TTile>());
        GemmPipeline.Run(ref pipeline, stages);
        GemmKernel.Finish(pipeline.Steps.Accumulators, place, c, bias, operand, product, s, split, batch, part);
    }

    /// <summary>
    /// The (ty, tx) of thread <paramref name="thread"/> in a group <paramref name="threadColumns"/> threads across (8 or
    /// 16): each warp's 32 threads are 4 x 8 of them, so that a k-step's loads of a warp read 4 vectors of a (64 bytes)
    /// and 8 of b (128 bytes), one shared-memory wavefront each, where a warp of 2 x 16 threads would take one for a and
    /// two for b.
    /// </summary>
    private static (int Ty, int Tx) WarpArranged(int thread, int threadColumns)
    {
        int warp = thread / 32, lane = thread % 32, warpsAcross = threadColumns / 8;
        return (4 * (warp / warpsAcross) + lane / 8, 8 * (warp % warpsAcross) + lane % 8);
    }

    /// <summary>
    /// A thread's part of the pipeline (<see cref="GemmPipeline.Run"/>): its copies of both operands and its k-steps; a
    /// buffer is <paramref name="stageVectors"/>, b's part of it <paramref name="operandVectorsA"/> on.
    /// </summary>
    private struct ThreadStages<TSteps>(TSteps steps, KMajorCopies a, KMajorCopies b, int operandVectorsA, int stageVectors) : IPipelinedStages
        where TSteps : struct, ISteps
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

        public void Multiply(int buffer) => Steps.Multiply(buffer);
    }

    /// <summary>
    /// One operand's copies of a thread: vector t mod R of k rows t / R, t / R + T / R, ... of a stage (R the vectors of a
    /// k row, T the group's threads), so that each copy of the group moves T / R whole k rows, a warp's copy 512
    /// contiguous bytes, into the same place of the stage. Each copy's place at the part's first k is found once; a
    /// stage is <see cref="Depth"/> packed rows on.
    /// </summary>
    private readonly struct KMajorCopies
    {
        private readonly ArrayView<Float4> vectors;
        private readonly ulong operand, address, rowsApart, stageApart;   // device addresses: vector 0, the first copy's at the part's first k; bytes to the next copy's, to the next stage's
        private readonly int sharedOffset, threads, copies;

        public KMajorCopies(ArrayView<Float4> operand, ulong address, long matrixFirst, int ld, int tileFirst, int rowVectors, int kBegin,
            int thread, int threads)
        {
            vectors = operand;
            long packedRowVectors = ld / 4;
            long firstVector = (matrixFirst + tileFirst) / 4 + (kBegin + thread / rowVectors) * packedRowVectors + thread % rowVectors;
            rowsApart = 16 * (ulong)(threads / rowVectors * packedRowVectors);
            stageApart = 16 * (ulong)(Depth * packedRowVectors);
            this.operand = address;
            this.address = address + 16 * (ulong)firstVector;
            sharedOffset = thread;   // k row t / R, vector t mod R
            this.threads = threads;
            copies = Depth * rowVectors / threads;
        }

        /// <summary>Starts this thread's copies of stage <paramref name="stage"/> into the operand's stage at vector <paramref name="first"/> of the shared tiles.</summary>
        public void Copy<TSteps>(ref TSteps steps, int first, int stage) where TSteps : struct, ISteps
        {
            ulong at = address + (ulong)stage * stageApart;
            int to = first + sharedOffset;
            for (int copy = 0; copy < copies; copy++)
                steps.Copy(to + copy * threads, vectors, operand, at + (ulong)copy * rowsApart);
        }
    }

    /// <summary>The pipeline's memory and arithmetic: on the GPU in PTX (<see cref="PtxSteps{TTile}"/>), or emulated.</summary>
    private interface ISteps
    {
        /// <summary>Declares the shared stages and the registers (once, every thread (<paramref name="ty"/>, <paramref name="tx"/>)).</summary>
        void Declare(int ty, int tx);

        /// <summary>
        /// Starts copying 16 bytes, at device address <paramref name="address"/> of the operand <paramref name="vectors"/>
        /// (whose vector 0 is at <paramref name="operand"/>), to vector <paramref name="to"/> of the shared stages
        /// (<see cref="EmulatedCopies"/>).
        /// </summary>
        void Copy(int to, ArrayView<Float4> vectors, ulong operand, ulong address);

        /// <inheritdoc cref="IPipelinedStages.Commit"/>
        void Commit();

        /// <inheritdoc cref="IPipelinedStages.WaitForOldestStage"/>
        void WaitForOldestStage();

        /// <summary>The <see cref="Depth"/> rank-one updates of the thread's accumulators from the stage in buffer <paramref name="buffer"/>.</summary>
        void Multiply(int buffer);
    }

    /// <summary><see cref="ISteps"/> whose accumulators the epilogue reads.</summary>
    private interface ISteps<TAccumulators> : ISteps where TAccumulators : struct, IThreadAccumulators
    {
        /// <summary>The accumulators, after the last stage.</summary>
        TAccumulators Accumulators { get; }
    }

    /// <summary>
    /// The pipeline in PTX. A stage's k-step loads the thread's 8 values of op(a) into gemm_fa0-7 (its runs of rows at
    /// vectors ty and ty + <see cref="IGemmTile.ThreadRows"/> of the k row) and 8 of op(b) into gemm_fb0-7 (tx and tx +
    /// <see cref="IGemmTile.ThreadColumns"/>), then adds their outer product (<see cref="SimtStepOperands"/>).
    /// </summary>
    private struct PtxSteps<TTile> : ISteps<PtxThreadAccumulators> where TTile : struct, IGemmTile
    {
        private uint stages, a, b;   // the stages' shared address; bytes from a buffer's start to the thread's first vectors of a and b at k = 0

        public readonly PtxThreadAccumulators Accumulators => default;

        public void Declare(int ty, int tx)
        {
            default(GemmTensorCoreKernel.PtxWarpAccumulators).Declare();
            CudaAsm.Emit(".reg .f32 gemm_fa<8>; .reg .f32 gemm_fb<8>;");
            stages = PtxStages.Declare(GemmPipeline.Stages * 16 * StageVectors<TTile>());
            a = 16 * (uint)ty;
            b = 16 * (uint)(OperandVectorsA<TTile>() + tx);
        }

        public readonly void Copy(int to, ArrayView<Float4> vectors, ulong operand, ulong address) => PtxStages.Copy(stages + 16 * (uint)to, address);

        public readonly void Commit() => PtxStages.Commit();

        public readonly void WaitForOldestStage() => PtxStages.WaitForOldestStage();

        /// <remarks>Written out (ILGPU unrolls no loop), so that each load's offset is a constant ptxas folds into it.</remarks>
        public readonly void Multiply(int buffer)
        {
            uint first = stages + 16 * (uint)(buffer * StageVectors<TTile>());
            uint stageA = first + a, stageB = first + b;
            Quarter(stageA, stageB, 0);
            Quarter(stageA, stageB, 4);
            Quarter(stageA, stageB, 8);
            Quarter(stageA, stageB, 12);
        }

        private static void Quarter(uint a, uint b, uint k)
        {
            Step(a, b, k);
            Step(a, b, k + 1);
            Step(a, b, k + 2);
            Step(a, b, k + 3);
        }

        /// <summary>Step k: the thread's two runs of op(a) and of op(b) at k, a row of threads apart, and their outer product.</summary>
        private static void Step(uint a, uint b, uint k)
        {
            uint rowA = 16 * (uint)RowVectorsA<TTile>() * k, runA = 16 * (uint)default(TTile).ThreadRows;
            uint rowB = 16 * (uint)RowVectorsB<TTile>() * k, runB = 16 * (uint)default(TTile).ThreadColumns;
            CudaAsm.Emit(SimtStepOperands.Step, a + rowA, a + rowA + runA, b + rowB, b + rowB + runB);
        }
    }

    /// <summary>The accumulators of <see cref="PtxSteps{TTile}"/>: (i, j) in register gemm_acc 8 i + j, read two at a time.</summary>
    private readonly struct PtxThreadAccumulators : IThreadAccumulators
    {
        public float Get(int i, int j)
        {
            var (even, odd) = default(GemmTensorCoreKernel.PtxWarpAccumulators).ReadPair((i * GemmKernel.PerThread + j) >> 1);
            return (j & 1) == 0 ? even : odd;
        }
    }

    /// <summary>
    /// The pipeline emulated on ILGPU's CPU accelerator: the stages in ILGPU's shared memory, each copy done at once, and
    /// <see cref="GemmKernel"/>'s outer products on them (a's stage at a buffer's vector 0, b's after it, both k-major
    /// rows of the tile's side).
    /// </summary>
    private struct EmulatedSteps<TTile> : ISteps<GemmKernel.Block8x8> where TTile : struct, IGemmTile
    {
        private ArrayView<Float4> stages;
        private GemmKernel.OuterProducts products;

        public readonly GemmKernel.Block8x8 Accumulators => products.Accumulators;

        public void Declare(int ty, int tx)
        {
            stages = SharedMemory.Allocate<Float4>(GemmPipeline.SharedBytes / 16);   // the most the PTX declares
            int stageVectors = StageVectors<TTile>();
            products = new GemmKernel.OuterProducts(stages, stages.SubView(OperandVectorsA<TTile>()), stageVectors, stageVectors, ty, tx,
                default(TTile).ThreadRows, default(TTile).ThreadColumns);
        }

        public readonly void Copy(int to, ArrayView<Float4> vectors, ulong operand, ulong address) => stages[to] = EmulatedCopies.Read(vectors, operand, address);

        public readonly void Commit()
        {
        }

        public readonly void WaitForOldestStage()
        {
        }

        public void Multiply(int buffer) => products.Multiply(buffer);
    }
}

/// <summary>
/// The PTX of <see cref="GemmSimtPipelineKernel"/>'s k-step: the thread's 8 values of op(a) (two 128-bit loads, from
/// shared addresses %0 and %1) into gemm_fa0-7 and 8 of op(b) (%2, %3) into gemm_fb0-7, then accumulator 8 i + j adds
/// gemm_fa i times gemm_fb j (fma.rn: one rounding, as ptxas contracts <see cref="GemmKernel"/>'s multiply-add).
/// </summary>
internal static class SimtStepOperands
{
    private const string Loads = "ld.shared.v4.f32 {gemm_fa0,gemm_fa1,gemm_fa2,gemm_fa3}, [%0]; ld.shared.v4.f32 {gemm_fa4,gemm_fa5,gemm_fa6,gemm_fa7}, [%1];" +
        "ld.shared.v4.f32 {gemm_fb0,gemm_fb1,gemm_fb2,gemm_fb3}, [%2]; ld.shared.v4.f32 {gemm_fb4,gemm_fb5,gemm_fb6,gemm_fb7}, [%3];";
    private const string Row0 = "fma.rn.f32 gemm_acc0, gemm_fa0, gemm_fb0, gemm_acc0; fma.rn.f32 gemm_acc1, gemm_fa0, gemm_fb1, gemm_acc1; fma.rn.f32 gemm_acc2, gemm_fa0, gemm_fb2, gemm_acc2; fma.rn.f32 gemm_acc3, gemm_fa0, gemm_fb3, gemm_acc3; fma.rn.f32 gemm_acc4, gemm_fa0, gemm_fb4, gemm_acc4; fma.rn.f32 gemm_acc5, gemm_fa0, gemm_fb5, gemm_acc5; fma.rn.f32 gemm_acc6, gemm_fa0, gemm_fb6, gemm_acc6; fma.rn.f32 gemm_acc7, gemm_fa0, gemm_fb7, gemm_acc7;";
    private const string Row1 = "fma.rn.f32 gemm_acc8, gemm_fa1, gemm_fb0, gemm_acc8; fma.rn.f32 gemm_acc9, gemm_fa1, gemm_fb1, gemm_acc9; fma.rn.f32 gemm_acc10, gemm_fa1, gemm_fb2, gemm_acc10; fma.rn.f32 gemm_acc11, gemm_fa1, gemm_fb3, gemm_acc11; fma.rn.f32 gemm_acc12, gemm_fa1, gemm_fb4, gemm_acc12; fma.rn.f32 gemm_acc13, gemm_fa1, gemm_fb5, gemm_acc13; fma.rn.f32 gemm_acc14, gemm_fa1, gemm_fb6, gemm_acc14; fma.rn.f32 gemm_acc15, gemm_fa1, gemm_fb7, gemm_acc15;";
    private const string Row2 = "fma.rn.f32 gemm_acc16, gemm_fa2, gemm_fb0, gemm_acc16; fma.rn.f32 gemm_acc17, gemm_fa2, gemm_fb1, gemm_acc17; fma.rn.f32 gemm_acc18, gemm_fa2, gemm_fb2, gemm_acc18; fma.rn.f32 gemm_acc19, gemm_fa2, gemm_fb3, gemm_acc19; fma.rn.f32 gemm_acc20, gemm_fa2, gemm_fb4, gemm_acc20; fma.rn.f32 gemm_acc21, gemm_fa2, gemm_fb5, gemm_acc21; fma.rn.f32 gemm_acc22, gemm_fa2, gemm_fb6, gemm_acc22; fma.rn.f32 gemm_acc23, gemm_fa2, gemm_fb7, gemm_acc23;";
    private const string Row3 = "fma.rn.f32 gemm_acc24, gemm_fa3, gemm_fb0, gemm_acc24; fma.rn.f32 gemm_acc25, gemm_fa3, gemm_fb1, gemm_acc25; fma.rn.f32 gemm_acc26, gemm_fa3, gemm_fb2, gemm_acc26; fma.rn.f32 gemm_acc27, gemm_fa3, gemm_fb3, gemm_acc27; fma.rn.f32 gemm_acc28, gemm_fa3, gemm_fb4, gemm_acc28; fma.rn.f32 gemm_acc29, gemm_fa3, gemm_fb5, gemm_acc29; fma.rn.f32 gemm_acc30, gemm_fa3, gemm_fb6, gemm_acc30; fma.rn.f32 gemm_acc31, gemm_fa3, gemm_fb7, gemm_acc31;";
    private const string Row4 = "fma.rn.f32 gemm_acc32, gemm_fa4, gemm_fb0, gemm_acc32; fma.rn.f32 gemm_acc33, gemm_fa4, gemm_fb1, gemm_acc33; fma.rn.f32 gemm_acc34, gemm_fa4, gemm_fb2, gemm_acc34; fma.rn.f32 gemm_acc35, gemm_fa4, gemm_fb3, gemm_acc35; fma.rn.f32 gemm_acc36, gemm_fa4, gemm_fb4, gemm_acc36; fma.rn.f32 gemm_acc37, gemm_fa4, gemm_fb5, gemm_acc37; fma.rn.f32 gemm_acc38, gemm_fa4, gemm_fb6, gemm_acc38; fma.rn.f32 gemm_acc39, gemm_fa4, gemm_fb7, gemm_acc39;";
    private const string Row5 = "fma.rn.f32 gemm_acc40, gemm_fa5, gemm_fb0, gemm_acc40; fma.rn.f32 gemm_acc41, gemm_fa5, gemm_fb1, gemm_acc41; fma.rn.f32 gemm_acc42, gemm_fa5, gemm_fb2, gemm_acc42; fma.rn.f32 gemm_acc43, gemm_fa5, gemm_fb3, gemm_acc43; fma.rn.f32 gemm_acc44, gemm_fa5, gemm_fb4, gemm_acc44; fma.rn.f32 gemm_acc45, gemm_fa5, gemm_fb5, gemm_acc45; fma.rn.f32 gemm_acc46, gemm_fa5, gemm_fb6, gemm_acc46; fma.rn.f32 gemm_acc47, gemm_fa5, gemm_fb7, gemm_acc47;";
    private const string Row6 = "fma.rn.f32 gemm_acc48, gemm_fa6, gemm_fb0, gemm_acc48; fma.rn.f32 gemm_acc49, gemm_fa6, gemm_fb1, gemm_acc49; fma.rn.f32 gemm_acc50, gemm_fa6, gemm_fb2, gemm_acc50; fma.rn.f32 gemm_acc51, gemm_fa6, gemm_fb3, gemm_acc51; fma.rn.f32 gemm_acc52, gemm_fa6, gemm_fb4, gemm_acc52; fma.rn.f32 gemm_acc53, gemm_fa6, gemm_fb5, gemm_acc53; fma.rn.f32 gemm_acc54, gemm_fa6, gemm_fb6, gemm_acc54; fma.rn.f32 gemm_acc55, gemm_fa6, gemm_fb7, gemm_acc55;";
    private const string Row7 = "fma.rn.f32 gemm_acc56, gemm_fa7, gemm_fb0, gemm_acc56; fma.rn.f32 gemm_acc57, gemm_fa7, gemm_fb1, gemm_acc57; fma.rn.f32 gemm_acc58, gemm_fa7, gemm_fb2, gemm_acc58; fma.rn.f32 gemm_acc59, gemm_fa7, gemm_fb3, gemm_acc59; fma.rn.f32 gemm_acc60, gemm_fa7, gemm_fb4, gemm_acc60; fma.rn.f32 gemm_acc61, gemm_fa7, gemm_fb5, gemm_acc61; fma.rn.f32 gemm_acc62, gemm_fa7, gemm_fb6, gemm_acc62; fma.rn.f32 gemm_acc63, gemm_fa7, gemm_fb7, gemm_acc63;";

    /// <summary>A k-step: the loads, then the 64 multiply-adds.</summary>
    public const string Step = Loads + Row0 + Row1 + Row2 + Row3 + Row4 + Row5 + Row6 + Row7;
}
