using ILGPU;
using ILGPU.Runtime.Cuda;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// The tensor-core GEMM of <see cref="GemmTensorCoreKernel"/> (same 64 x 64 tile of c per group of 4 warps, same
/// accumulators, same epilogue, same operand rounding) with its shared-memory traffic in inline PTX (CUDA sm_80+):
/// <list type="bullet">
/// <item>the operands go from global to shared memory with asynchronous copies (<c>cp.async</c>: 16 bytes where k is
/// contiguous and the operand aligned, else 4), so the next stage's copy overlaps this stage's mma work without
/// passing through registers;</item>
/// <item>fragments come out of shared memory with <c>ldmatrix</c> (4 8 x 4-float blocks per instruction), are rounded
/// in registers (<c>cvt.rna.tf32.f32</c>, <c>cvt.rn.bf16x2.f32</c>: the roundings <see cref="BiGS.Native.Kernels.Cpu.GemmRounding"/>
/// reproduces) and feed the <c>mma.sync</c> instructions in the same inline block.</item>
/// </list>
/// ILGPU cannot give inline PTX the address of an element of its own views (in a kernel, <c>LoadEffectiveAddress</c> is
/// unsupported, <c>Unsafe.AsPointer</c> is an unsupported intrinsic, and converting a pinned pointer to an integer fails
/// in its front end), so the shared tiles are a <c>.shared</c> array that the inline PTX declares itself (gemm_tiles,
/// addressed with 32-bit shared-space addresses) and the global addresses come from the host
/// (<see cref="GemmShape.AddressA"/>, <see cref="GemmShape.AddressB"/>: device pointers of a and b). ILGPU never reads or
/// writes gemm_tiles; the barriers (<c>bar.sync</c>) order the copies, completed by <c>cp.async.wait_all</c>, before the
/// reads. BF16 permutes k inside each 16-wide mma step the same way for a and b (a sum over k is order-free), so that
/// an <c>ldmatrix</c> of fp32 words gives each lane the pairs it packs. Launch as <see cref="GemmTensorCoreKernel"/> with
/// its 64 x 64 tile, k whole.
/// </summary>
public static class GemmTensorCoreAsyncKernel
{
    /// <summary>Rows and columns of c per group: <see cref="TensorCoreTile64x64"/>'s 4 warps of 32 x 32.</summary>
    public const int Tile = 64;

    /// <summary>Threads per group.</summary>
    public const int Threads = 128;

    private const int WarpRows = 32;
    private const int Depth = 32;
    private const int RowPitch = Depth + 4;                     // floats per staged row: 16-byte aligned, conflict-free ldmatrix rows
    private const uint OperandBytes = Tile * RowPitch * 4;      // one operand's tile
    private const uint StageBytes = 2 * OperandBytes;           // a then b

    /// <summary>The TF32 kernel (m16n8k8, 4 k-steps per stage).</summary>
    public static void Tf32(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s) =>
        Run(default(Tf32Step), a, b, c, bias, operand, product, s);

    /// <summary>The BF16 kernel (m16n8k16, 2 k-steps per stage).</summary>
    public static void Bf16(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s) =>
        Run(default(Bf16Step), a, b, c, bias, operand, product, s);

    private static void Run<TStep>(TStep step, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s) where TStep : struct, IAsyncMmaStep
    {
        int thread = Group.IdxX, lane = thread % 32, warp = thread / 32;
        int rowBase = Grid.IdxY * Tile, colBase = Grid.IdxX * Tile;
        int warpRow = (warp / 2) * 32, warpCol = (warp % 2) * 32;
        var opA = GemmStagedOperand.A(a, Grid.IdxZ * s.StrideA, s, rowBase, whole: false);
        var opB = GemmStagedOperand.B(b, Grid.IdxZ * s.StrideB, s, colBase, whole: false);
        long cFirst = Grid.IdxZ * (long)s.M * s.N;
        var accumulators = default(GemmTensorCoreKernel.PtxWarpAccumulators);
        accumulators.Declare();
        step.DeclareRegisters();
        uint tiles = SharedTiles();
        // Stage 0 into buffer 0, and wait for it.
        Stage(opA, opB, s, 0, thread, tiles);
        CudaAsm.Emit("cp.async.wait_all;");
        Group.Barrier();
        // The ldmatrix row this lane addresses: matrices 0-3 of an x4 are lanes 0-7, 8-15, 16-23, 24-31.
        int aRow = warpRow + lane % 8 + 8 * (lane / 8 % 2), aK = 4 * (lane / 16);
        int bCol = warpCol + lane % 8 + 8 * (lane / 16), bK = 4 * (lane / 8 % 2);
        for (int k0 = 0, buffer = 0; k0 < s.K; k0 += Depth, buffer ^= 1)
        {
            // The other buffer was last read before the previous barrier: start copying the next stage into it.
            if (k0 + Depth < s.K) Stage(opA, opB, s, k0 + Depth, thread, tiles + (uint)(buffer ^ 1) * StageBytes);
            uint tileA = tiles + (uint)buffer * StageBytes, tileB = tileA + OperandBytes;
            for (int k = 0; k < Depth; k += step.Depth)
                step.Multiply(Address(tileA, aRow, aK + k), Address(tileA, aRow + 16, aK + k),
                    Address(tileB, bCol, bK + k), Address(tileB, bCol + 16, bK + k));
            // This stage's reads are done and the next stage has landed: then the buffers swap.
            CudaAsm.Emit("cp.async.wait_all;");
            Group.Barrier();
        }
        var lanePlace = new GemmTensorCoreKernel.LaneAccumulators(rowBase + warpRow + lane / 4, colBase + warpCol + 2 * (lane % 4), WarpRows, thread, Threads);
        GemmTensorCoreKernel.WarpAccumulators.Store(accumulators, lanePlace, c, bias, operand, product, s, cFirst);
    }

    /// <summary>Starts the copies of op(a) and op(b) at k [k0, +32) into the stage at shared address <paramref name="stage"/>, as one group.</summary>
    private static void Stage(GemmStagedOperand opA, GemmStagedOperand opB, GemmShape s, int k0, int thread, uint stage)
    {
        opA.StageAsync(k0, Tile, Depth, thread, Threads, stage, RowPitch, s.AddressA);
        opB.StageAsync(k0, Tile, Depth, thread, Threads, stage + OperandBytes, RowPitch, s.AddressB);
        CudaAsm.Emit("cp.async.commit_group;");
    }

    /// <summary>Shared address of element (row, k) of the k-contiguous operand tile at <paramref name="tile"/>.</summary>
    private static uint Address(uint tile, int row, int k) => tile + (uint)(4 * (row * RowPitch + k));

    /// <summary>Declares the two stages' shared tiles (2 x <see cref="StageBytes"/> = 36,864 bytes) and returns their shared-space address.</summary>
    private static uint SharedTiles()
    {
        CudaAsm.Emit(".shared .align 16 .b8 gemm_tiles[36864];");
        CudaAsm.Emit("mov.u32 %0, gemm_tiles;", out uint address);
        return address;
    }

    /// <summary>One k-step of a warp's 32 x 32 quarter: fragment loads, rounding and the 8 mma instructions.</summary>
    private interface IAsyncMmaStep
    {
        /// <summary>k per step.</summary>
        int Depth { get; }

        /// <summary>Declares the fragment registers (once, before the k loop).</summary>
        void DeclareRegisters();

        /// <summary>
        /// acc += a b for the warp's 2 x 4 mma tiles; the addresses are this lane's ldmatrix rows at the step's k in the
        /// row tiles 0-15 and 16-31 of a, and in the column pairs 0-15 and 16-31 of b.
        /// </summary>
        void Multiply(uint rows0, uint rows16, uint columns0, uint columns16);
    }

    /// <summary>
    /// m16n8k8 TF32: each ldmatrix.x4 of fp32 words gives a lane exactly its a fragment (r, q), (r+8, q), (r, q+4),
    /// (r+8, q+4) or two b fragments (k q, k q+4 of two column tiles); cvt.rna rounds each to TF32.
    /// </summary>
    private readonly struct Tf32Step : IAsyncMmaStep
    {
        public int Depth => 8;

        public void DeclareRegisters() => CudaAsm.Emit(".reg .b32 gemm_f<8>; .reg .b32 gemm_g<8>;");

        public void Multiply(uint rows0, uint rows16, uint columns0, uint columns16) => CudaAsm.Emit(
            "ldmatrix.sync.aligned.m8n8.x4.shared.b16 {gemm_f0,gemm_f1,gemm_f2,gemm_f3}, [%0];" +
            "ldmatrix.sync.aligned.m8n8.x4.shared.b16 {gemm_f4,gemm_f5,gemm_f6,gemm_f7}, [%1];" +
            "ldmatrix.sync.aligned.m8n8.x4.shared.b16 {gemm_g0,gemm_g1,gemm_g2,gemm_g3}, [%2];" +
            "ldmatrix.sync.aligned.m8n8.x4.shared.b16 {gemm_g4,gemm_g5,gemm_g6,gemm_g7}, [%3];" +
            "cvt.rna.tf32.f32 gemm_f0, gemm_f0; cvt.rna.tf32.f32 gemm_f1, gemm_f1; cvt.rna.tf32.f32 gemm_f2, gemm_f2; cvt.rna.tf32.f32 gemm_f3, gemm_f3;" +
            "cvt.rna.tf32.f32 gemm_f4, gemm_f4; cvt.rna.tf32.f32 gemm_f5, gemm_f5; cvt.rna.tf32.f32 gemm_f6, gemm_f6; cvt.rna.tf32.f32 gemm_f7, gemm_f7;" +
            "cvt.rna.tf32.f32 gemm_g0, gemm_g0; cvt.rna.tf32.f32 gemm_g1, gemm_g1; cvt.rna.tf32.f32 gemm_g2, gemm_g2; cvt.rna.tf32.f32 gemm_g3, gemm_g3;" +
            "cvt.rna.tf32.f32 gemm_g4, gemm_g4; cvt.rna.tf32.f32 gemm_g5, gemm_g5; cvt.rna.tf32.f32 gemm_g6, gemm_g6; cvt.rna.tf32.f32 gemm_g7, gemm_g7;" +
            "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {gemm_acc0,gemm_acc1,gemm_acc2,gemm_acc3}, {gemm_f0,gemm_f1,gemm_f2,gemm_f3}, {gemm_g0,gemm_g1}, {gemm_acc0,gemm_acc1,gemm_acc2,gemm_acc3};" +
            "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {gemm_acc4,gemm_acc5,gemm_acc6,gemm_acc7}, {gemm_f0,gemm_f1,gemm_f2,gemm_f3}, {gemm_g2,gemm_g3}, {gemm_acc4,gemm_acc5,gemm_acc6,gemm_acc7};" +
            "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {gemm_acc8,gemm_acc9,gemm_acc10,gemm_acc11}, {gemm_f0,gemm_f1,gemm_f2,gemm_f3}, {gemm_g4,gemm_g5}, {gemm_acc8,gemm_acc9,gemm_acc10,gemm_acc11};" +
            "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {gemm_acc12,gemm_acc13,gemm_acc14,gemm_acc15}, {gemm_f0,gemm_f1,gemm_f2,gemm_f3}, {gemm_g6,gemm_g7}, {gemm_acc12,gemm_acc13,gemm_acc14,gemm_acc15};" +
            "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {gemm_acc16,gemm_acc17,gemm_acc18,gemm_acc19}, {gemm_f4,gemm_f5,gemm_f6,gemm_f7}, {gemm_g0,gemm_g1}, {gemm_acc16,gemm_acc17,gemm_acc18,gemm_acc19};" +
            "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {gemm_acc20,gemm_acc21,gemm_acc22,gemm_acc23}, {gemm_f4,gemm_f5,gemm_f6,gemm_f7}, {gemm_g2,gemm_g3}, {gemm_acc20,gemm_acc21,gemm_acc22,gemm_acc23};" +
            "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {gemm_acc24,gemm_acc25,gemm_acc26,gemm_acc27}, {gemm_f4,gemm_f5,gemm_f6,gemm_f7}, {gemm_g4,gemm_g5}, {gemm_acc24,gemm_acc25,gemm_acc26,gemm_acc27};" +
            "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {gemm_acc28,gemm_acc29,gemm_acc30,gemm_acc31}, {gemm_f4,gemm_f5,gemm_f6,gemm_f7}, {gemm_g6,gemm_g7}, {gemm_acc28,gemm_acc29,gemm_acc30,gemm_acc31};",
            rows0, rows16, columns0, columns16);
    }

    /// <summary>
    /// m16n8k16 BF16: two ldmatrix.x4 per row tile (k and k + 8) and per column pair give a lane the fp32 words at k q,
    /// q + 4, 8 + q, 12 + q; cvt.rn.bf16x2 packs (q, q + 4) where the mma expects (2q, 2q + 1), and (8 + q, 12 + q) where
    /// it expects (2q + 8, 2q + 9), alike for a and b, so every product pairs the same k.
    /// </summary>
    private readonly struct Bf16Step : IAsyncMmaStep
    {
        public int Depth => 16;

        public void DeclareRegisters() => CudaAsm.Emit(".reg .b32 gemm_f<8>; .reg .b32 gemm_g<8>; .reg .b32 gemm_w<32>;");

        public void Multiply(uint rows0, uint rows16, uint columns0, uint columns16) => CudaAsm.Emit(
            "ldmatrix.sync.aligned.m8n8.x4.shared.b16 {gemm_w0,gemm_w1,gemm_w2,gemm_w3}, [%0];" +
            "ldmatrix.sync.aligned.m8n8.x4.shared.b16 {gemm_w4,gemm_w5,gemm_w6,gemm_w7}, [%0+32];" +
            "ldmatrix.sync.aligned.m8n8.x4.shared.b16 {gemm_w8,gemm_w9,gemm_w10,gemm_w11}, [%1];" +
            "ldmatrix.sync.aligned.m8n8.x4.shared.b16 {gemm_w12,gemm_w13,gemm_w14,gemm_w15}, [%1+32];" +
            "ldmatrix.sync.aligned.m8n8.x4.shared.b16 {gemm_w16,gemm_w17,gemm_w18,gemm_w19}, [%2];" +
            "ldmatrix.sync.aligned.m8n8.x4.shared.b16 {gemm_w20,gemm_w21,gemm_w22,gemm_w23}, [%2+32];" +
            "ldmatrix.sync.aligned.m8n8.x4.shared.b16 {gemm_w24,gemm_w25,gemm_w26,gemm_w27}, [%3];" +
            "ldmatrix.sync.aligned.m8n8.x4.shared.b16 {gemm_w28,gemm_w29,gemm_w30,gemm_w31}, [%3+32];" +
            "cvt.rn.bf16x2.f32 gemm_f0, gemm_w2, gemm_w0; cvt.rn.bf16x2.f32 gemm_f1, gemm_w3, gemm_w1; cvt.rn.bf16x2.f32 gemm_f2, gemm_w6, gemm_w4; cvt.rn.bf16x2.f32 gemm_f3, gemm_w7, gemm_w5;" +
            "cvt.rn.bf16x2.f32 gemm_f4, gemm_w10, gemm_w8; cvt.rn.bf16x2.f32 gemm_f5, gemm_w11, gemm_w9; cvt.rn.bf16x2.f32 gemm_f6, gemm_w14, gemm_w12; cvt.rn.bf16x2.f32 gemm_f7, gemm_w15, gemm_w13;" +
            "cvt.rn.bf16x2.f32 gemm_g0, gemm_w17, gemm_w16; cvt.rn.bf16x2.f32 gemm_g1, gemm_w21, gemm_w20; cvt.rn.bf16x2.f32 gemm_g2, gemm_w19, gemm_w18; cvt.rn.bf16x2.f32 gemm_g3, gemm_w23, gemm_w22;" +
            "cvt.rn.bf16x2.f32 gemm_g4, gemm_w25, gemm_w24; cvt.rn.bf16x2.f32 gemm_g5, gemm_w29, gemm_w28; cvt.rn.bf16x2.f32 gemm_g6, gemm_w27, gemm_w26; cvt.rn.bf16x2.f32 gemm_g7, gemm_w31, gemm_w30;" +
            "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {gemm_acc0,gemm_acc1,gemm_acc2,gemm_acc3}, {gemm_f0,gemm_f1,gemm_f2,gemm_f3}, {gemm_g0,gemm_g1}, {gemm_acc0,gemm_acc1,gemm_acc2,gemm_acc3};" +
            "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {gemm_acc4,gemm_acc5,gemm_acc6,gemm_acc7}, {gemm_f0,gemm_f1,gemm_f2,gemm_f3}, {gemm_g2,gemm_g3}, {gemm_acc4,gemm_acc5,gemm_acc6,gemm_acc7};" +
            "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {gemm_acc8,gemm_acc9,gemm_acc10,gemm_acc11}, {gemm_f0,gemm_f1,gemm_f2,gemm_f3}, {gemm_g4,gemm_g5}, {gemm_acc8,gemm_acc9,gemm_acc10,gemm_acc11};" +
            "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {gemm_acc12,gemm_acc13,gemm_acc14,gemm_acc15}, {gemm_f0,gemm_f1,gemm_f2,gemm_f3}, {gemm_g6,gemm_g7}, {gemm_acc12,gemm_acc13,gemm_acc14,gemm_acc15};" +
            "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {gemm_acc16,gemm_acc17,gemm_acc18,gemm_acc19}, {gemm_f4,gemm_f5,gemm_f6,gemm_f7}, {gemm_g0,gemm_g1}, {gemm_acc16,gemm_acc17,gemm_acc18,gemm_acc19};" +
            "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {gemm_acc20,gemm_acc21,gemm_acc22,gemm_acc23}, {gemm_f4,gemm_f5,gemm_f6,gemm_f7}, {gemm_g2,gemm_g3}, {gemm_acc20,gemm_acc21,gemm_acc22,gemm_acc23};" +
            "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {gemm_acc24,gemm_acc25,gemm_acc26,gemm_acc27}, {gemm_f4,gemm_f5,gemm_f6,gemm_f7}, {gemm_g4,gemm_g5}, {gemm_acc24,gemm_acc25,gemm_acc26,gemm_acc27};" +
            "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {gemm_acc28,gemm_acc29,gemm_acc30,gemm_acc31}, {gemm_f4,gemm_f5,gemm_f6,gemm_f7}, {gemm_g6,gemm_g7}, {gemm_acc28,gemm_acc29,gemm_acc30,gemm_acc31};",
            rows0, rows16, columns0, columns16);
    }
}
