using BiGS.Native.Gpu.Kernels;
using BiGS.Native.Kernels.Cpu;
using ILGPU;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// Where the tensor-core kernel's staging stores go, against a model of shared memory: 32 banks of 4-byte words, a
/// warp's store taking as many transactions as the busiest bank has distinct words (lanes writing the same word, such as
/// its two BF16 halves, share one), 128-bit stores in four phases of 8 lanes and 64-bit stores in two of 16. The
/// staged tile is that of each tile configuration of <see cref="GemmTensorCoreKernel"/>: 64 rows of a 32-deep stage by
/// 128 threads, or 128 rows of a 16-deep stage by 256 threads.
/// </summary>
public class GemmStagingBankTests
{
    /// <summary>
    /// op(b) of an NN product (a dX product of a Linear layer) is contiguous along its columns, and each of a thread's
    /// elements goes to its own row of the k-contiguous tile. Aligned, a thread holds four columns at one k (one 128-bit
    /// load); unspread, a warp's 32 vectors lie in 2 rows of 64 columns or 1 of 128, and fall in 4 banks (8-way) or 2
    /// (16-way). Unaligned, a thread's elements are a group apart; unspread, a warp's 32 consecutive columns fall in 8
    /// banks (4-way). Spread across k, every store of a warp is one transaction.
    /// </summary>
    [Theory]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32Mma), 64, true, 8)]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16Mma<>), 64, true, 8)]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32Mma), 64, false, 4)]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16Mma<>), 64, false, 4)]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32Mma), 128, true, 16)]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16Mma<>), 128, true, 16)]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32Mma), 128, false, 4)]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16Mma<>), 128, false, 4)]
    public void Stores_of_an_operand_contiguous_along_outer_are_free_of_bank_conflicts(string shape, int size, bool vector, int unspreadTransactions)
    {
        var tile = new Staging(shape, size);
        var operand = Operand(kContiguous: false, vector);
        Assert.True(tile.Mma.SpreadsAcrossK);
        for (int warp = 0; warp < tile.Threads / 32; warp++)
            for (int q = 0; q < tile.Slots; q++)
                for (int j = 0; j < 4; j++)
                    Assert.Equal(1, tile.StoreTransactions(operand, warp, q, j, spread: true));
        int unspread = Enumerable.Range(0, tile.Slots).SelectMany(q => Enumerable.Range(0, 4).Select(j => tile.StoreTransactions(operand, 0, q, j, spread: false))).Max();
        Assert.Equal(unspreadTransactions, unspread);
    }

    /// <summary>
    /// op(a) of an NN product is k-contiguous: each thread stores its four k of one row with one vector store, TF32 as
    /// 128 bits, BF16 as 64 bits of four halves. With 64 x 64 tiles each TF32 phase of 8 lanes is one row in 32 distinct
    /// banks, and each BF16 phase of 16 lanes at most 2 words a bank (the price of rows of 20 words, which keep the
    /// fragment loads conflict-free). A 16-deep stage of the 128 x 128 tile puts a TF32 phase in 2 rows of 20 words
    /// (the second's last vector in the first's first banks) and a BF16 phase in 4 rows of 12: 2 transactions each.
    /// </summary>
    [Theory]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32Mma), 64, 4, 8, 1)]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16Mma<>), 64, 2, 16, 2)]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32Mma), 128, 4, 8, 2)]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16Mma<>), 128, 2, 16, 2)]
    public void Vector_stores_of_a_k_contiguous_operand_take_at_most_the_given_transactions_per_phase(string shape, int size, int wordsPerLane,
        int lanesPerPhase, int transactionsPerPhase)
    {
        var tile = new Staging(shape, size);
        var operand = Operand(kContiguous: true, vector: true);
        int most = 0;
        for (int warp = 0; warp < tile.Threads / 32; warp++)
            for (int q = 0; q < tile.Slots; q++)
                for (int phase = 0; phase < 32 / lanesPerPhase; phase++)
                {
                    var words = Enumerable.Range(phase * lanesPerPhase, lanesPerPhase).SelectMany(lane =>
                    {
                        var (outer, k) = tile.SlotPosition(operand, q, 0, 32 * warp + lane, spread: true);
                        Assert.Equal(0, k % 4);
                        return Enumerable.Range(0, wordsPerLane).Select(w => tile.Word(outer, k) + w);
                    });
                    most = Math.Max(most, Transactions(words));
                }
        Assert.Equal(transactionsPerPhase, most);
    }

    /// <summary>
    /// Each fragment register a warp loads (lane (r, q) = (lane / 4, lane % 4) reads row or column r, or r + 8, at the k
    /// that the PTX ISA gives it, <see cref="GemmTensorCoreKernel.IMmaShape.Holder"/>) is one transaction: rows padded
    /// by 4 words put the 8 rows in distinct groups of 4 banks.
    /// </summary>
    [Theory]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32Mma), 64)]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16Mma<>), 64)]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32Mma), 128)]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16Mma<>), 128)]
    public void Fragment_loads_are_free_of_bank_conflicts(string shape, int size)
    {
        var tile = new Staging(shape, size);
        var mma = tile.Mma;
        for (int first = 0; first < tile.Outer; first += 8)
            for (int k0 = 0; k0 < tile.Depth; k0 += mma.Depth)
                for (int register = 0; register < 2; register++)
                {
                    var words = Enumerable.Range(0, 32).Select(lane => tile.Word(first + lane / 4, k0 + FirstKHeldBy(mma, lane % 4, register)));
                    Assert.Equal(1, Transactions(words));
                }
    }

    /// <summary>
    /// A vector slot's place is found as the thread's slot 0 place plus thread 0's slot q place, so that the kernels find
    /// the first once and hold the second as constants (<see cref="GemmStagedOperand.VectorSlotPosition"/>). That sum is
    /// the slot's place for every thread and slot of every tile configuration (SIMT 128 x 128, 64 x 64, 128 x 64; tensor
    /// cores 64 x 64 and 128 x 128, spread or not), with either side contiguous.
    /// </summary>
    [Theory]
    [InlineData(128, 16, 256, false)]
    [InlineData(64, 16, 64, false)]
    [InlineData(128, 16, 128, false)]
    [InlineData(64, 16, 128, false)]
    [InlineData(64, 32, 128, false)]
    [InlineData(64, 32, 128, true)]
    [InlineData(128, 16, 256, true)]
    public void A_vector_slot_is_placed_by_the_threads_part_plus_the_slots_part(int outerCount, int depth, int threads, bool spread)
    {
        foreach (bool kContiguous in new[] { true, false })
        {
            var operand = Operand(kContiguous, vector: true);
            for (int thread = 0; thread < threads; thread++)
                for (int q = 0; q < StagedRegisters.Slots(outerCount, depth, threads); q++)
                    Assert.Equal(operand.SlotPosition(q, 0, thread, threads, outerCount, depth, spread),
                        operand.VectorSlotPosition(q, thread, threads, outerCount, depth, spread));
        }
    }

    /// <summary>
    /// Operands packed in row pairs for the tensor cores (<see cref="GemmTensorCoreKernel.PreRoundedMma{TMma}"/>): each
    /// phase of 8 lanes of a warp's 128-bit staging stores (a warp stores 32 consecutive vectors of the stage, 4 rows of
    /// 8 or 2 of 16) and of its 128-bit fragment loads (lane (r, q) reads the vector of lane q in the pair of its row r:
    /// 2 pairs a phase) is one transaction: the pairs' blocks of 16 words swap places in every other pair. Unswapped, a
    /// phase's two pairs (32 or 64 words apart) read the same banks: 2 transactions.
    /// </summary>
    [Theory]
    [InlineData(64)]
    [InlineData(128)]
    public void Row_pairs_stage_and_load_fragments_free_of_bank_conflicts(int size)
    {
        ITensorCoreTile tile = size == 64 ? new TensorCoreTile64x64() : new TensorCoreTile128x128();
        var mma = new GemmTensorCoreKernel.PreRoundedMma<GemmTensorCoreKernel.Tf32Mma>(new GemmTensorCoreKernel.Tf32Mma(tile.Depth), tile.Depth);
        int threads = GemmTensorCoreKernel.Threads(tile), pairs = size / 2, depth = 2 * tile.Depth;
        var shape = new GemmShape(0, 1, 256, 256, depth, depth, depth, 0, 0, 1f, 0f, 0, 0, 0, 0, Precision.Tf32, 1, 1, 0, 0);
        var operand = GemmStagedOperand.A(default(ArrayView<float>), 0, shape, 0, whole: true, packed: true);
        for (int q = 0; q < StagedRegisters.Slots(pairs, depth, threads); q++)
            for (int first = 0; first < threads; first += 8)
                Assert.Equal(1, Transactions(Enumerable.Range(first, 8).SelectMany(thread =>
                {
                    var (pair, word) = operand.SlotPosition(q, 0, thread, threads, pairs, depth, spread: true);
                    return Vector(mma.StagedWord(pair, word) >> 2);
                })));
        for (int row = 0; row < size; row += 16)
            for (int k = 0; k < tile.Depth; k += mma.Depth)
                for (int phase = 0; phase < 4; phase++)
                    Assert.Equal(1, Transactions(Enumerable.Range(8 * phase, 8).SelectMany(lane =>
                        Vector(mma.FragmentIndex(row + lane / 4, lane % 4, k)))));
    }

    /// <summary>The four words of 128-bit vector <paramref name="index"/>.</summary>
    private static IEnumerable<int> Vector(long index) => Enumerable.Range(4 * (int)index, 4);

    /// <summary>The first k of an mma step that lane q of a row holds in <paramref name="register"/>.</summary>
    private static int FirstKHeldBy(GemmTensorCoreKernel.IMmaShape mma, int q, int register) =>
        Enumerable.Range(0, mma.Depth).First(k => mma.Holder(k) == (q, register));

    /// <summary>The transactions of one access: the most distinct words that fall in one bank.</summary>
    private static int Transactions(IEnumerable<int> words) => words.Distinct().GroupBy(word => word % 32).Max(bank => bank.Count());

    /// <summary>The staging of the tile configuration of side <paramref name="size"/> (64 or 128) with mma shape <paramref name="shape"/>.</summary>
    private sealed class Staging(string shape, int size)
    {
        private readonly ITensorCoreTile tile = size == 64 ? new TensorCoreTile64x64() : new TensorCoreTile128x128();

        public int Outer => tile.Size;

        public int Depth => tile.Depth;

        public int Threads => GemmTensorCoreKernel.Threads(tile);

        public int Slots => StagedRegisters.Slots(Outer, Depth, Threads);

        public GemmTensorCoreKernel.IMmaShape Mma => shape == nameof(GemmTensorCoreKernel.Tf32Mma)
            ? new GemmTensorCoreKernel.Tf32Mma(Depth)
            : new GemmTensorCoreKernel.Bf16Mma<GemmTensorCoreKernel.ArithmeticBf16Packing>(Depth);

        /// <summary>Where element <paramref name="j"/> of thread <paramref name="thread"/>'s slot <paramref name="q"/> goes in the tile.</summary>
        public (int Outer, int K) SlotPosition(GemmStagedOperand operand, int q, int j, int thread, bool spread) =>
            operand.SlotPosition(q, j, thread, Threads, Outer, Depth, spread && Mma.SpreadsAcrossK);

        /// <summary>The transactions of warp <paramref name="warp"/>'s store of element <paramref name="j"/> of its slot <paramref name="q"/>.</summary>
        public int StoreTransactions(GemmStagedOperand operand, int warp, int q, int j, bool spread) =>
            Transactions(Enumerable.Range(0, 32).Select(lane =>
            {
                var (outer, k) = SlotPosition(operand, q, j, 32 * warp + lane, spread);
                return Word(outer, k);
            }));

        /// <summary>The word of the tile that holds element (<paramref name="outer"/>, <paramref name="k"/>).</summary>
        public int Word(int outer, int k) => shape == nameof(GemmTensorCoreKernel.Tf32Mma)
            ? new GemmTensorCoreKernel.Tf32Mma(Depth).Word(outer, k)
            : new GemmTensorCoreKernel.Bf16Mma<GemmTensorCoreKernel.ArithmeticBf16Packing>(Depth).Word(outer, k);
    }

    /// <summary>op(a) (k-contiguous) or op(b) (contiguous along outer) of a 256 x 256 x 256 NN product, read with 128-bit loads or not.</summary>
    private static GemmStagedOperand Operand(bool kContiguous, bool vector)
    {
        int aligned = vector ? 1 : 0;
        var shape = new GemmShape(0, 0, 256, 256, 256, 256, 256, 0, 0, 1f, 0f, 0, 0, 0, 0, Precision.Tf32, aligned, aligned, 0, 0);
        return kContiguous ? GemmStagedOperand.A(default(ArrayView<float>), 0, shape, 0, whole: false) : GemmStagedOperand.B(default(ArrayView<float>), 0, shape, 0, whole: false);
    }
}
