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
/// <para>
/// For the tensor cores each operand is also laid out as the mma's fragments take it (<see cref="PackedFragments"/>):
/// rows r and r + 8 of each block of 16 rows share a packed row (a row pair, <see cref="RowPair"/>), and in each mma's
/// k (8 words: TF32 values or BF16 pairs) the four words lane q of the fragment's row takes, k slots q and q + 4 of both
/// rows, are one 128-bit vector (<see cref="FragmentPosition"/>). A fragment of a (registers a0 to a3: row r at slot q,
/// row r + 8 at q, r at q + 4, r + 8 at q + 4) is then one 128-bit shared load, and so are the fragments b0, b1 of two
/// blocks of 8 columns, r and r + 8, in that order. Each k keeps its slot of the mma, so the products are those of the
/// unpacked kernels, bit for bit.
/// </para>
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

    /// <summary>Row pairs of an operand of <paramref name="rows"/> rows packed for the tensor cores: its 16-row blocks, 8 pairs each.</summary>
    public static int RowPairs(int rows) => (rows + 15) / 16 * 8;

    /// <summary>The row pair of row <paramref name="row"/>: rows r and r + 8 of a block of 16 share one.</summary>
    public static int RowPair(int row) => (row >> 4 << 3) | (row & 7);

    /// <summary>
    /// Where word <paramref name="word"/> of row <paramref name="row"/> goes in its row pair's words: the mma's block of
    /// k b = word / 8 takes 16 words from 16 b, lane q = word mod 4 of the block's 4 vectors from 16 b + 4 q, and in the
    /// vector the word's k slot (q, or q + 4 for the block's upper half) and its row (r, or r + 8) in the order of
    /// <paramref name="fragments"/>: a's registers (row first) or b's (slot first).
    /// </summary>
    public static int FragmentPosition(int row, int word, PackedFragments fragments)
    {
        int upperSlot = (word >> 2) & 1, lowerRow = (row >> 3) & 1;
        int inVector = fragments == PackedFragments.A ? upperSlot << 1 | lowerRow : lowerRow << 1 | upperSlot;
        return (word >> 3 << 4) | ((word & 3) << 2) | inVector;
    }

    /// <summary>
    /// Whether packing can make <paramref name="problem"/> faster: it has a k, and either packed operands run on another
    /// kernel (<paramref name="otherKernel"/>: the tensor-core kernels on operands the packing rounded, whose k loop then
    /// rounds nothing; the pipelined kernels) or the operands are not already NT with 128-bit loads and k a multiple of
    /// <see cref="DepthMultiple"/>.
    /// </summary>
    public static bool Helps(GemmProblem problem, bool otherKernel = false) =>
        problem.K > 0 && (otherKernel || !(!problem.TransposeA && problem.TransposeB && problem.VectorA && problem.VectorB && problem.K % DepthMultiple == 0));

    /// <summary>
    /// packed[z][r][j] = round(j &lt; Depth ? x(r, j) : 0) for r &lt; Rows, j &lt; PaddedDepth, where x(r, j) is
    /// source[z Stride + j Ld + r] when the source holds the operand's transpose (<see cref="GemmPackShape.Transposed"/>),
    /// else source[z Stride + r Ld + j], and round is <see cref="GemmRounding.Round"/> to the shape's
    /// <see cref="GemmPackShape.Rounding"/>; in BF16 the pair j = 2w, 2w + 1 is word w of the row (the lower k in the low
    /// half, as the mma takes it). Word w of row r is at <see cref="GemmPackShape.Index"/>(r, w): row-major, k-major (rows
    /// past Rows, to a whole tile, zeros), or in row pairs for the tensor cores (rows past Rows, to a whole block of 16,
    /// zeros). A group moves a 32 x 32 tile
    /// through shared memory (a row of 33, so that neither the column-wise nor the row-wise accesses meet the same bank
    /// twice), so that both its global reads and its writes are along rows of consecutive addresses. Launch: groups
    /// (ceil(PaddedDepth / 32), ceil(PackedRows / 32), batches) of (32, R) threads, R dividing 32 (<see cref="Launch"/>).
    /// </summary>
    public static void Pack(ArrayView<float> source, ArrayView<float> packed, GemmPackShape shape)
    {
        var tile = SharedMemory.Allocate<float>(TileSize * (TileSize + 1));
        int tx = Group.IdxX, ty = Group.IdxY;
        int row0 = Grid.IdxY * TileSize, column0 = Grid.IdxX * TileSize;
        long sourceBase = Grid.IdxZ * shape.Stride, packedBase = Grid.IdxZ * shape.Elements;
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

    /// <summary>
    /// The tile's words, an operand a word, rounded to the shape's TF32 or left fp32: threads along the packed rows
    /// (along k, or along the operand's rows where the packing is k-major, <see cref="PackedFragments.KMajor"/>).
    /// </summary>
    private static void WriteWords(ArrayView<float> tile, ArrayView<float> packed, GemmPackShape shape, long packedBase, int row0, int column0)
    {
        int tx = Group.IdxX;
        bool kMajor = shape.Fragments == PackedFragments.KMajor;
        for (int i = Group.IdxY; i < TileSize; i += Group.DimY)
        {
            int r = kMajor ? tx : i, j = kMajor ? i : tx;
            int row = row0 + r, column = column0 + j;
            if (row < shape.PackedRows && column < shape.PaddedDepth)
                packed[packedBase + shape.Index(row, column)] = GemmRounding.Round(tile[j * (TileSize + 1) + r], shape.Rounding);
        }
    }

    /// <summary>The tile's rows as BF16 pairs, 16 words a row from <paramref name="word0"/> (half the threads along the row).</summary>
    private static void WritePairs(ArrayView<float> tile, ArrayView<float> packed, GemmPackShape shape, long packedBase, int row0, int word0)
    {
        int tx = Group.IdxX;
        for (int r = Group.IdxY; r < TileSize; r += Group.DimY)
        {
            int row = row0 + r, word = word0 + tx;
            if (tx < TileSize / 2 && row < shape.PackedRows && word < shape.Words)
                packed[packedBase + shape.Index(row, word)] = Bf16Pair(tile[2 * tx * (TileSize + 1) + r], tile[(2 * tx + 1) * (TileSize + 1) + r]);
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
        new Index3D((shape.PaddedDepth + TileSize - 1) / TileSize, (shape.PackedRows + TileSize - 1) / TileSize, batches),
        new Index3D(TileSize, Math.Min(GroupRows, 1 << BitOperations.Log2((uint)Math.Max(1, groupThreads / TileSize))), 1));
}

/// <summary>
/// One operand of <see cref="GemmOperandPacking.Pack"/>: its rows (m of op(a), n of op(b)^T) by Depth (k), read from a source
/// with leading dimension Ld and Stride elements between batches, Transposed (not 0) when the source holds the
/// operand's transpose; written with PaddedDepth columns, rounded to Rounding (fp32: unchanged; BF16: two to a word), laid
/// out as Fragments says (row-major, k-major, or in row pairs as the tensor cores' a or b).
/// </summary>
public readonly record struct GemmPackShape(int Rows, int Depth, int PaddedDepth, int Ld, long Stride, int Transposed, Precision Rounding = Precision.Fp32,
    PackedFragments Fragments = PackedFragments.None)
{
    /// <summary>32-bit words a packed row has: PaddedDepth, or half of it in BF16 pairs.</summary>
    public int Words => PaddedDepth / GemmOperandPacking.OperandsPerWord(Rounding);

    /// <summary>
    /// Rows written: Rows, or in row pairs whole blocks of 16, or k-major whole tiles of
    /// <see cref="GemmSimtPipelineKernel.LargestTile"/> (the rows past Rows zeros).
    /// </summary>
    public int PackedRows => Fragments switch
    {
        PackedFragments.None => Rows,
        PackedFragments.KMajor => (Rows + GemmSimtPipelineKernel.LargestTile - 1) / GemmSimtPipelineKernel.LargestTile * GemmSimtPipelineKernel.LargestTile,
        _ => 2 * GemmOperandPacking.RowPairs(Rows),
    };

    /// <summary>Words of an operand's row as packed, its k: a row's Words, or both rows' of a row pair.</summary>
    public int RowWords => Fragments is PackedFragments.A or PackedFragments.B ? 2 * Words : Words;

    /// <summary>Words between a packed row or k and the next: <see cref="RowWords"/>, or k-major <see cref="PackedRows"/>.</summary>
    public int LeadingDimension => Fragments == PackedFragments.KMajor ? PackedRows : RowWords;

    /// <summary>Words of one packed matrix.</summary>
    public long Elements => (long)PackedRows * Words;

    /// <summary>
    /// Where word <paramref name="word"/> of row <paramref name="row"/> is written: row-major, k-major, or in row pairs
    /// (<see cref="GemmOperandPacking.FragmentPosition"/>).
    /// </summary>
    public long Index(int row, int word) => Fragments switch
    {
        PackedFragments.None => (long)row * Words + word,
        PackedFragments.KMajor => (long)word * PackedRows + row,
        _ => (long)GemmOperandPacking.RowPair(row) * RowWords + GemmOperandPacking.FragmentPosition(row, word, Fragments),
    };
}

/// <summary>How a packing lays out an operand's rows (<see cref="GemmPackShape"/>).</summary>
public enum PackedFragments
{
    /// <summary>Row-major.</summary>
    None,

    /// <summary>In row pairs, each vector a's fragment registers a0 to a3 (the tensor cores' op(a)).</summary>
    A,

    /// <summary>In row pairs, each vector b's fragments of rows r and r + 8, two registers each (the tensor cores' op(b)^T).</summary>
    B,

    /// <summary>
    /// k-major: the operand transposed, a packed row per k holding that k of every row, the rows padded to whole tiles
    /// (<see cref="GemmSimtPipelineKernel"/>'s op(a)^T and op(b)).
    /// </summary>
    KMajor,
}
