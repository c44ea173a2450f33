using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using BiGS.Native.Kernels.Cpu;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// Packing a GEMM's operands into the layout its kernels run fastest: c = op(a) op(b) is computed as c = A' B'^T with
/// A' = op(a) (m x k') and B' = op(b)^T (n x k'), both row-major with k' = k rounded up to
/// <see cref="DepthMultiple"/> and zeros in the added columns (they add 0 to every sum). In that NT layout every stage
/// along k is whole and every row starts on a 128-bit boundary, so the whole-tile kernels run every tile inside c
/// (<see cref="GemmTileBlocks"/>). On an H200 the tensor-core kernels ran the NT products of a BiGS-base step at up to
/// twice the rate of the TN weight gradients of the same size (bench/compare/README.md, entry 31), and the vocabulary's
/// rows (30,522 floats) start mid-vector; packing costs one read and one write of each operand, which the tuner weighs
/// by timing packed plans beside the others (<see cref="GemmPlans.Candidates"/>). For the tensor-core kernels the packing
/// also rounds the operands to the product's precision (<see cref="GemmPackShape.Rounding"/>), as TF32 values or BF16
/// pairs, which the kernels then stage unchanged (<see cref="GemmTensorCoreKernel.Tf32Rounded{TTile, TEdges}"/>,
/// <see cref="GemmTensorCoreKernel.Bf16Pairs{TTile, TEdges}"/>).
/// </summary>
public static class GemmOperandPacking
{
    /// <summary>
    /// Words a packed row has a multiple of: the deepest stage of any GEMM kernel (the 64 x 64 tensor-core tile's 32), in
    /// the words it stages (a BF16 pair a word in <see cref="GemmTensorCoreKernel.Bf16Pairs{TTile, TEdges}"/>).
    /// </summary>
    public const int DepthMultiple = 32;

    /// <summary>Rows and k columns of the square tile a group of the packing kernel moves through shared memory.</summary>
    public const int TileSize = 32;

    /// <summary>Rows of threads in a group of <see cref="TileSize"/> columns, where the device allows (each moves a 32nd of the rows of the tile).</summary>
    public const int GroupRows = 8;

    /// <summary>k rounded up to whole rows of <see cref="DepthMultiple"/> words of <paramref name="rounding"/>'s packing (<see cref="OperandsPerWord"/>).</summary>
    public static int PaddedDepth(int k, Precision rounding = Precision.Fp32)
    {
        int multiple = DepthMultiple * OperandsPerWord(rounding);
        return (k + multiple - 1) / multiple * multiple;
    }

    /// <summary>Operands a packed word holds: 2 BF16 values, else 1.</summary>
    public static int OperandsPerWord(Precision rounding) => rounding == Precision.Bf16 ? 2 : 1;

    /// <summary>
    /// Whether packing can make <paramref name="problem"/> faster: it has a k, and either the packing rounds the operands
    /// (<paramref name="rounds"/>: the tensor-core kernels, whose k loop then rounds nothing) or the operands are not
    /// already NT with 128-bit loads and k a multiple of <see cref="DepthMultiple"/>.
    /// </summary>
    public static bool Helps(GemmProblem problem, bool rounds = false) =>
        problem.K > 0 && (rounds || !(!problem.TransposeA && problem.TransposeB && problem.VectorA && problem.VectorB && problem.K % DepthMultiple == 0));

    /// <summary>
    /// packed[z][r][j] = round(j &lt; Depth ? x(r, j) : 0) for r &lt; Rows, j &lt; PaddedDepth, where x(r, j) is
    /// source[z Stride + j Ld + r] when the source holds the operand's transpose (<see cref="GemmPackShape.Transposed"/>),
    /// else source[z Stride + r Ld + j], and round is <see cref="GemmRounding.Round"/> to the shape's
    /// <see cref="GemmPackShape.Rounding"/>; in BF16 the pair j = 2w, 2w + 1 is word w of the row (the lower k in the low
    /// half, as the mma takes it). A group moves a 32 x 32 tile through shared memory (a row of 33, so that neither
    /// the column-wise nor the row-wise accesses meet the same bank twice), so that both its global reads and its writes
    /// are along rows of consecutive addresses. Launch: groups (ceil(PaddedDepth / 32), ceil(Rows / 32), batches) of
    /// (32, R) threads, R dividing 32 (<see cref="Launch"/>).
    /// </summary>
    public static void Pack(ArrayView<float> source, ArrayView<float> packed, GemmPackShape shape)
    {
        var tile = SharedMemory.Allocate<float>(TileSize * (TileSize + 1));
        int tx = Group.IdxX, ty = Group.IdxY;
        int row0 = Grid.IdxY * TileSize, column0 = Grid.IdxX * TileSize;
        long sourceBase = Grid.IdxZ * shape.Stride, packedBase = Grid.IdxZ * (long)shape.Rows * shape.Words;
        // tile[j * 33 + r] holds x(row0 + r, column0 + j); threads read along the source's rows
        for (int i = ty; i < TileSize; i += Group.DimY)
        {
            int r = shape.Transposed != 0 ? tx : i, j = shape.Transposed != 0 ? i : tx;
            int row = row0 + r, column = column0 + j;
            bool inside = row < shape.Rows && column < shape.Depth;
            long at = sourceBase + (shape.Transposed != 0 ? (long)column * shape.Ld + row : (long)row * shape.Ld + column);
            tile[j * (TileSize + 1) + r] = inside ? source[at] : 0f;
        }
        Group.Barrier();
        if (shape.Rounding == Precision.Bf16) WritePairs(tile, packed, shape, packedBase, row0, column0 / 2);
        else WriteWords(tile, packed, shape, packedBase, row0, column0);
    }

    /// <summary>The tile's rows, an operand a word, rounded to the shape's TF32 or left fp32 (threads along the row).</summary>
    private static void WriteWords(ArrayView<float> tile, ArrayView<float> packed, GemmPackShape shape, long packedBase, int row0, int column0)
    {
        int tx = Group.IdxX;
        for (int r = Group.IdxY; r < TileSize; r += Group.DimY)
        {
            int row = row0 + r, column = column0 + tx;
            if (row < shape.Rows && column < shape.PaddedDepth)
                packed[packedBase + (long)row * shape.Words + column] = GemmRounding.Round(tile[tx * (TileSize + 1) + r], shape.Rounding);
        }
    }

    /// <summary>The tile's rows as BF16 pairs, 16 words a row from <paramref name="word0"/> (half the threads along the row).</summary>
    private static void WritePairs(ArrayView<float> tile, ArrayView<float> packed, GemmPackShape shape, long packedBase, int row0, int word0)
    {
        int tx = Group.IdxX;
        for (int r = Group.IdxY; r < TileSize; r += Group.DimY)
        {
            int row = row0 + r, word = word0 + tx;
            if (tx < TileSize / 2 && row < shape.Rows && word < shape.Words)
                packed[packedBase + (long)row * shape.Words + word] = Bf16Pair(tile[2 * tx * (TileSize + 1) + r], tile[(2 * tx + 1) * (TileSize + 1) + r]);
        }
    }

    /// <summary>
    /// <paramref name="low"/> and <paramref name="high"/> rounded to BF16 (<see cref="GemmRounding.ToBf16"/>: the high
    /// half of the rounded float), in the low and high halves of one word, seen as a float.
    /// </summary>
    private static float Bf16Pair(float low, float high)
    {
        uint lowBits = (uint)BitConverter.SingleToInt32Bits(GemmRounding.ToBf16(low)) >> 16;
        uint highBits = (uint)BitConverter.SingleToInt32Bits(GemmRounding.ToBf16(high)) & 0xFFFF0000u;
        return BitConverter.Int32BitsToSingle((int)(highBits | lowBits));
    }

    /// <summary>
    /// The launch of <see cref="Pack"/> over <paramref name="shape"/> for <paramref name="batches"/> matrices, in groups of
    /// 32 x <see cref="GroupRows"/> threads, or fewer rows of them (a power of 2) where the device's
    /// <paramref name="groupThreads"/> are fewer (ILGPU's CPU accelerator: 64).
    /// </summary>
    public static KernelConfig Launch(GemmPackShape shape, int batches, int groupThreads) => new(
        new Index3D((shape.PaddedDepth + TileSize - 1) / TileSize, (shape.Rows + TileSize - 1) / TileSize, batches),
        new Index3D(TileSize, Math.Min(GroupRows, 1 << BitOperations.Log2((uint)Math.Max(1, groupThreads / TileSize))), 1));
}

/// <summary>
/// One operand of <see cref="GemmOperandPacking.Pack"/>: its rows (m of op(a), n of op(b)^T) by Depth (k), read from a source
/// with leading dimension Ld and Stride elements between batches, Transposed (not 0) when the source holds the
/// operand's transpose; written with PaddedDepth columns, rounded to Rounding (fp32: unchanged; BF16: two to a word).
/// </summary>
public readonly record struct GemmPackShape(int Rows, int Depth, int PaddedDepth, int Ld, long Stride, int Transposed, Precision Rounding = Precision.Fp32)
{
    /// <summary>32-bit words a packed row has: PaddedDepth, or half of it in BF16 pairs.</summary>
    public int Words => PaddedDepth / GemmOperandPacking.OperandsPerWord(Rounding);
}
