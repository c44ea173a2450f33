using System.Runtime.CompilerServices;
using ILGPU.Runtime.Cuda;
using static BiGS.Native.Gpu.Kernels.GemmTensorCoreKernel;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// The tensor-core kernels' <c>mma.sync</c> in PTX: the two instructions (fp32 accumulators, TF32 or BF16 operands), and
/// <see cref="GemmTensorCoreKernel"/>'s mma tiles, whose accumulators are the named registers its warp accumulators
/// declare. <see cref="CudaAsm.Emit(string)"/> takes only a constant string, so each tile's operands are written out.
/// </summary>
internal static class MmaPtx
{
    /// <summary>m16n8k8: TF32 operands, fp32 accumulators.</summary>
    public const string Tf32 = "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32";

    /// <summary>m16n8k16: BF16 operands (a pair of k a register), fp32 accumulators.</summary>
    public const string Bf16 = "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32";

    // Tile t: accumulators gemm_acc 4t to 4t + 3, a's fragment %0-%3, b's %4-%5.
    private const string Tile0 = " {gemm_acc0,gemm_acc1,gemm_acc2,gemm_acc3}, {%0,%1,%2,%3}, {%4,%5}, {gemm_acc0,gemm_acc1,gemm_acc2,gemm_acc3};";
    private const string Tile1 = " {gemm_acc4,gemm_acc5,gemm_acc6,gemm_acc7}, {%0,%1,%2,%3}, {%4,%5}, {gemm_acc4,gemm_acc5,gemm_acc6,gemm_acc7};";
    private const string Tile2 = " {gemm_acc8,gemm_acc9,gemm_acc10,gemm_acc11}, {%0,%1,%2,%3}, {%4,%5}, {gemm_acc8,gemm_acc9,gemm_acc10,gemm_acc11};";
    private const string Tile3 = " {gemm_acc12,gemm_acc13,gemm_acc14,gemm_acc15}, {%0,%1,%2,%3}, {%4,%5}, {gemm_acc12,gemm_acc13,gemm_acc14,gemm_acc15};";
    private const string Tile4 = " {gemm_acc16,gemm_acc17,gemm_acc18,gemm_acc19}, {%0,%1,%2,%3}, {%4,%5}, {gemm_acc16,gemm_acc17,gemm_acc18,gemm_acc19};";
    private const string Tile5 = " {gemm_acc20,gemm_acc21,gemm_acc22,gemm_acc23}, {%0,%1,%2,%3}, {%4,%5}, {gemm_acc20,gemm_acc21,gemm_acc22,gemm_acc23};";
    private const string Tile6 = " {gemm_acc24,gemm_acc25,gemm_acc26,gemm_acc27}, {%0,%1,%2,%3}, {%4,%5}, {gemm_acc24,gemm_acc25,gemm_acc26,gemm_acc27};";
    private const string Tile7 = " {gemm_acc28,gemm_acc29,gemm_acc30,gemm_acc31}, {%0,%1,%2,%3}, {%4,%5}, {gemm_acc28,gemm_acc29,gemm_acc30,gemm_acc31};";
    private const string Tile8 = " {gemm_acc32,gemm_acc33,gemm_acc34,gemm_acc35}, {%0,%1,%2,%3}, {%4,%5}, {gemm_acc32,gemm_acc33,gemm_acc34,gemm_acc35};";
    private const string Tile9 = " {gemm_acc36,gemm_acc37,gemm_acc38,gemm_acc39}, {%0,%1,%2,%3}, {%4,%5}, {gemm_acc36,gemm_acc37,gemm_acc38,gemm_acc39};";
    private const string Tile10 = " {gemm_acc40,gemm_acc41,gemm_acc42,gemm_acc43}, {%0,%1,%2,%3}, {%4,%5}, {gemm_acc40,gemm_acc41,gemm_acc42,gemm_acc43};";
    private const string Tile11 = " {gemm_acc44,gemm_acc45,gemm_acc46,gemm_acc47}, {%0,%1,%2,%3}, {%4,%5}, {gemm_acc44,gemm_acc45,gemm_acc46,gemm_acc47};";
    private const string Tile12 = " {gemm_acc48,gemm_acc49,gemm_acc50,gemm_acc51}, {%0,%1,%2,%3}, {%4,%5}, {gemm_acc48,gemm_acc49,gemm_acc50,gemm_acc51};";
    private const string Tile13 = " {gemm_acc52,gemm_acc53,gemm_acc54,gemm_acc55}, {%0,%1,%2,%3}, {%4,%5}, {gemm_acc52,gemm_acc53,gemm_acc54,gemm_acc55};";
    private const string Tile14 = " {gemm_acc56,gemm_acc57,gemm_acc58,gemm_acc59}, {%0,%1,%2,%3}, {%4,%5}, {gemm_acc56,gemm_acc57,gemm_acc58,gemm_acc59};";
    private const string Tile15 = " {gemm_acc60,gemm_acc61,gemm_acc62,gemm_acc63}, {%0,%1,%2,%3}, {%4,%5}, {gemm_acc60,gemm_acc61,gemm_acc62,gemm_acc63};";

    /// <summary>
    /// Adds a x b into the accumulators of mma tile <paramref name="tile"/> (0 to 15). <paramref name="bf16"/> is a
    /// constant of each caller, so each kernel keeps one instruction.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Mma(bool bf16, int tile, Fragment a, Fragment b)
    {
        switch (tile)
        {
            case 0:
                if (bf16) CudaAsm.Emit(Bf16 + Tile0, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                else CudaAsm.Emit(Tf32 + Tile0, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                break;
            case 1:
                if (bf16) CudaAsm.Emit(Bf16 + Tile1, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                else CudaAsm.Emit(Tf32 + Tile1, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                break;
            case 2:
                if (bf16) CudaAsm.Emit(Bf16 + Tile2, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                else CudaAsm.Emit(Tf32 + Tile2, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                break;
            case 3:
                if (bf16) CudaAsm.Emit(Bf16 + Tile3, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                else CudaAsm.Emit(Tf32 + Tile3, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                break;
            case 4:
                if (bf16) CudaAsm.Emit(Bf16 + Tile4, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                else CudaAsm.Emit(Tf32 + Tile4, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                break;
            case 5:
                if (bf16) CudaAsm.Emit(Bf16 + Tile5, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                else CudaAsm.Emit(Tf32 + Tile5, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                break;
            case 6:
                if (bf16) CudaAsm.Emit(Bf16 + Tile6, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                else CudaAsm.Emit(Tf32 + Tile6, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                break;
            case 7:
                if (bf16) CudaAsm.Emit(Bf16 + Tile7, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                else CudaAsm.Emit(Tf32 + Tile7, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                break;
            case 8:
                if (bf16) CudaAsm.Emit(Bf16 + Tile8, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                else CudaAsm.Emit(Tf32 + Tile8, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                break;
            case 9:
                if (bf16) CudaAsm.Emit(Bf16 + Tile9, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                else CudaAsm.Emit(Tf32 + Tile9, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                break;
            case 10:
                if (bf16) CudaAsm.Emit(Bf16 + Tile10, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                else CudaAsm.Emit(Tf32 + Tile10, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                break;
            case 11:
                if (bf16) CudaAsm.Emit(Bf16 + Tile11, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                else CudaAsm.Emit(Tf32 + Tile11, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                break;
            case 12:
                if (bf16) CudaAsm.Emit(Bf16 + Tile12, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                else CudaAsm.Emit(Tf32 + Tile12, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                break;
            case 13:
                if (bf16) CudaAsm.Emit(Bf16 + Tile13, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                else CudaAsm.Emit(Tf32 + Tile13, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                break;
            case 14:
                if (bf16) CudaAsm.Emit(Bf16 + Tile14, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                else CudaAsm.Emit(Tf32 + Tile14, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                break;
            case 15:
                if (bf16) CudaAsm.Emit(Bf16 + Tile15, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                else CudaAsm.Emit(Tf32 + Tile15, a.R0, a.R1, a.R2, a.R3, b.R0, b.R1);
                break;
        }
    }
}
