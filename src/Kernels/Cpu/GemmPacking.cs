using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BiGS.Native.Kernels.Cpu;

/// <summary>
/// Copies blocks of op(A) and op(B) into the contiguous micro-panel layout the micro-kernel streams through.
/// Packing reads each operand in its stored orientation, so transposes cost nothing extra, and pads
/// partial panels with zeros so edge tiles run the same full-size kernel. The panel widths MR and NR are the
/// micro-kernel's tile rows and columns (<see cref="GemmMicroKernel.TileRows"/>, <see cref="GemmMicroKernel.TileColumns"/>).
/// <list type="bullet">
/// <item>A block (mc x kc of op(A)) becomes ceil(mc/MR) micro-panels; panel q holds, for each step p,
/// the MR values op(A)[q*MR + r, p] at <c>dst[q*MR*kc + p*MR + r]</c>.</item>
/// <item>B panel (kc x nc of op(B)) becomes ceil(nc/NR) micro-panels; panel q holds, for each step p,
/// the NR values op(B)[p, q*NR + j] at <c>dst[q*NR*kc + p*NR + j]</c>.</item>
/// </list>
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>Packs op(A)[rowBegin .. rowBegin+mc, kBegin .. kBegin+kc) into micro-panels of <paramref name="mr"/> rows.</summary>
    public static void PackA(in GemmOperands op, int rowBegin, int mc, int kBegin, int kc, float* dst, int mr)
    {
        for (int r0 = 0; r0 < mc; r0 += mr, dst += mr * kc)
        {
            int rows = Math.Min(mr, mc - r0);
            int row = rowBegin + r0;
            if (op.TransA)
                // op(A)[i, p] = A[p, i]: each step's MR values are contiguous in A's row p.
                CopyStrips(op.A + (nint)kBegin * op.Lda + row, op.Lda, 1, kc, rows, dst, mr);
            else
                // op(A)[i, p] = A[i, p]: walk each of the MR rows of A along k.
                CopyStrips(op.A + (nint)row * op.Lda + kBegin, 1, op.Lda, kc, rows, dst, mr);
        }
    }

    /// <summary>Packs op(B)[kBegin .. kBegin+kc, colBegin .. colBegin+nc) into micro-panels of <paramref name="nr"/> columns.</summary>
    public static void PackB(in GemmOperands op, int kBegin, int kc, int colBegin, int nc, float* dst, int nr)
    {
        for (int c0 = 0; c0 < nc; c0 += nr, dst += nr * kc)
        {
            int cols = Math.Min(nr, nc - c0);
            int col = colBegin + c0;
            if (op.TransB)
                // op(B)[p, j] = B[j, p]: walk each of the NR rows of B along k.
                CopyStrips(op.B + (nint)col * op.Ldb + kBegin, 1, op.Ldb, kc, cols, dst, nr);
            else
                // op(B)[p, j] = B[p, j]: each step's NR values are contiguous in B's row p.
                CopyStrips(op.B + (nint)kBegin * op.Ldb + col, op.Ldb, 1, kc, cols, dst, nr);
        }
    }

    /// <summary>
    /// Fills one micro-panel: <c>dst[p*width + w] = src[p*stepStride + w*laneStride]</c> for p &lt; steps and
    /// w &lt; lanes, and zero for the padding lanes w in [lanes, width).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyStrips(float* src, nint stepStride, nint laneStride, int steps, int lanes, float* dst, int width)
    {
        if (lanes == width && laneStride == 1)
        {
            // Full panel whose lanes are contiguous in memory: one block copy per step.
            uint bytes = (uint)(width * sizeof(float));
            for (int p = 0; p < steps; p++)
                Unsafe.CopyBlockUnaligned(dst + p * width, src + p * stepStride, bytes);
            return;
        }
        int transposedSteps = 0;
        if (stepStride == 1 && Avx.IsSupported)
        {
            // Each lane is contiguous along the steps: transpose 8 x 8 blocks instead of copying one float at a time.
            transposedSteps = steps - steps % TransposeBlock;
            TransposeStrips(src, laneStride, transposedSteps, lanes, dst, width);
        }
        for (int w = 0; w < width; w++)
        {
            float* lane = src + w * laneStride;
            for (int p = transposedSteps; p < steps; p++)
                dst[p * width + w] = w < lanes ? lane[p * stepStride] : 0f;
        }
    }

    /// <summary>Lanes and steps of one transposed block: one 256-bit vector of floats.</summary>
    private const int TransposeBlock = 8;

    /// <summary>
    /// The vectorised case of <see cref="CopyStrips"/> for lanes that are contiguous along the steps
    /// (A not transposed, or B transposed), for <paramref name="steps"/> a multiple of 8. The panel's lanes
    /// are taken in groups of 8 (the last group of a 6- or 12-lane A panel has 6 or 4): for each 8 steps, row r of an 8 x 8 block
    /// is 8 steps of lane r; after the transpose, row t holds step t of all 8 lanes, which is where the panel
    /// wants it. Lanes past <paramref name="lanes"/> load as zeros, so padding comes out of the same code.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeStrips(float* src, nint laneStride, int steps, int lanes, float* dst, int width)
    {
        for (int group = 0; group < width; group += TransposeBlock)
        {
            int groupWidth = Math.Min(TransposeBlock, width - group);
            float* groupSrc = src + group * laneStride;
            int groupLanes = lanes - group;
            for (int p = 0; p < steps; p += TransposeBlock)
            {
                float* block = groupSrc + p;
                var r0 = LoadLane(block, 0, laneStride, groupLanes);
                var r1 = LoadLane(block, 1, laneStride, groupLanes);
                var r2 = LoadLane(block, 2, laneStride, groupLanes);
                var r3 = LoadLane(block, 3, laneStride, groupLanes);
                var r4 = LoadLane(block, 4, laneStride, groupLanes);
                var r5 = LoadLane(block, 5, laneStride, groupLanes);
                var r6 = LoadLane(block, 6, laneStride, groupLanes);
                var r7 = LoadLane(block, 7, laneStride, groupLanes);
                Transpose8x8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
                float* step = dst + p * width + group;
                StoreLanes(r0, step, groupWidth);
                StoreLanes(r1, step + width, groupWidth);
                StoreLanes(r2, step + 2 * width, groupWidth);
                StoreLanes(r3, step + 3 * width, groupWidth);
                StoreLanes(r4, step + 4 * width, groupWidth);
                StoreLanes(r5, step + 5 * width, groupWidth);
                StoreLanes(r6, step + 6 * width, groupWidth);
                StoreLanes(r7, step + 7 * width, groupWidth);
            }
        }
    }

    /// <summary>8 consecutive steps of lane <paramref name="lane"/>, or zeros for a padding lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LoadLane(float* block, int lane, nint laneStride, int lanes) =>
        lane < lanes ? Vector256.Load(block + lane * laneStride) : Vector256<float>.Zero;

    /// <summary>
    /// Stores the first <paramref name="count"/> floats of <paramref name="lanes"/>: all 8 (a B panel group), or
    /// the 4 or 6 of an A panel's last group (panels of 6 or 12 rows), so nothing past the panel is written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLanes(Vector256<float> lanes, float* dst, int count)
    {
        if (count == TransposeBlock)
        {
            Vector256.Store(lanes, dst);
            return;
        }
        Debug.Assert(count is 4 or 6, "panel groups are 8 lanes wide, or 4 or 6 for the last group of an A panel");
        Vector128.Store(lanes.GetLower(), dst);
        if (count == 6)
            Sse2.StoreScalar((double*)(dst + 4), lanes.GetUpper().AsDouble());
    }

    /// <summary>
    /// In-register transpose of the 8 x 8 block whose rows are r0..r7: afterwards r_t[i] is the old r_i[t].
    /// Three rounds: interleave pairs of rows (unpack), combine pairs of pairs (shuffle), then swap the
    /// 128-bit halves between rows four apart (permute).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2,
        ref Vector256<float> r3, ref Vector256<float> r4, ref Vector256<float> r5, ref Vector256<float> r6,
        ref Vector256<float> r7)
    {
        // t0 = (r0[0] r1[0] r0[1] r1[1] | r0[4] r1[4] r0[5] r1[5]), t1 the same for elements 2,3 | 6,7; etc.
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        // s0 = (r0[0] r1[0] r2[0] r3[0] | r0[4] r1[4] r2[4] r3[4]), s1 the same for element 1 | 5; etc.
        var s0 = Avx.Shuffle(t0, t2, 0b01_00_01_00);
        var s1 = Avx.Shuffle(t0, t2, 0b11_10_11_10);
        var s2 = Avx.Shuffle(t1, t3, 0b01_00_01_00);
        var s3 = Avx.Shuffle(t1, t3, 0b11_10_11_10);
        var s4 = Avx.Shuffle(t4, t6, 0b01_00_01_00);
        var s5 = Avx.Shuffle(t4, t6, 0b11_10_11_10);
        var s6 = Avx.Shuffle(t5, t7, 0b01_00_01_00);
        var s7 = Avx.Shuffle(t5, t7, 0b11_10_11_10);
        // Low halves of s0..s3 with low halves of s4..s7 give elements 0..3; high halves give 4..7.
        r0 = Avx.Permute2x128(s0, s4, 0x20);
        r1 = Avx.Permute2x128(s1, s5, 0x20);
        r2 = Avx.Permute2x128(s2, s6, 0x20);
        r3 = Avx.Permute2x128(s3, s7, 0x20);
        r4 = Avx.Permute2x128(s0, s4, 0x31);
        r5 = Avx.Permute2x128(s1, s5, 0x31);
        r6 = Avx.Permute2x128(s2, s6, 0x31);
        r7 = Avx.Permute2x128(s3, s7, 0x31);
    }
}
