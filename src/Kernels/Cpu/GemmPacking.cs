using System.Runtime.CompilerServices;
using static BiGS.Native.Kernels.Cpu.GemmMicroKernel;

namespace BiGS.Native.Kernels.Cpu;

/// <summary>
/// Copies blocks of op(A) and op(B) into the contiguous micro-panel layout the micro-kernel streams through.
/// Packing reads each operand in its stored orientation, so transposes cost nothing extra, and pads
/// partial panels with zeros so edge tiles run the same full-size kernel.
/// <list type="bullet">
/// <item>A block (mc x kc of op(A)) becomes ceil(mc/MR) micro-panels; panel q holds, for each step p,
/// the MR values op(A)[q*MR + r, p] at <c>dst[q*MR*kc + p*MR + r]</c>.</item>
/// <item>B panel (kc x nc of op(B)) becomes ceil(nc/NR) micro-panels; panel q holds, for each step p,
/// the NR values op(B)[p, q*NR + j] at <c>dst[q*NR*kc + p*NR + j]</c>.</item>
/// </list>
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>Packs op(A)[rowBegin .. rowBegin+mc, kBegin .. kBegin+kc) into MR-row micro-panels.</summary>
    public static void PackA(in GemmOperands op, int rowBegin, int mc, int kBegin, int kc, float* dst)
    {
        for (int r0 = 0; r0 < mc; r0 += MR, dst += MR * kc)
        {
            int rows = Math.Min(MR, mc - r0);
            int row = rowBegin + r0;
            if (op.TransA)
                // op(A)[i, p] = A[p, i]: each step's MR values are contiguous in A's row p.
                CopyStrips(op.A + (nint)kBegin * op.Lda + row, op.Lda, 1, kc, rows, dst, MR);
            else
                // op(A)[i, p] = A[i, p]: walk each of the MR rows of A along k.
                CopyStrips(op.A + (nint)row * op.Lda + kBegin, 1, op.Lda, kc, rows, dst, MR);
        }
    }

    /// <summary>Packs op(B)[kBegin .. kBegin+kc, colBegin .. colBegin+nc) into NR-column micro-panels.</summary>
    public static void PackB(in GemmOperands op, int kBegin, int kc, int colBegin, int nc, float* dst)
    {
        for (int c0 = 0; c0 < nc; c0 += NR, dst += NR * kc)
        {
            int cols = Math.Min(NR, nc - c0);
            int col = colBegin + c0;
            if (op.TransB)
                // op(B)[p, j] = B[j, p]: walk each of the NR rows of B along k.
                CopyStrips(op.B + (nint)col * op.Ldb + kBegin, 1, op.Ldb, kc, cols, dst, NR);
            else
                // op(B)[p, j] = B[p, j]: each step's NR values are contiguous in B's row p.
                CopyStrips(op.B + (nint)kBegin * op.Ldb + col, op.Ldb, 1, kc, cols, dst, NR);
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
        for (int w = 0; w < lanes; w++)
        {
            float* lane = src + w * laneStride;
            for (int p = 0; p < steps; p++)
                dst[p * width + w] = lane[p * stepStride];
        }
        for (int w = lanes; w < width; w++)
            for (int p = 0; p < steps; p++)
                dst[p * width + w] = 0f;
    }
}
