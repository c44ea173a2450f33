using BiGS.Native.Gpu.Kernels;
using BiGS.Native.Kernels.Cpu;
using ILGPU;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// Where the tensor-core kernel's staging stores go, against a model of shared memory: 32 banks of 4-byte words, a
/// warp's store taking as many transactions as the busiest bank has distinct words (lanes writing the same word, such as
/// its two BF16 halves, share one), 128-bit stores in four phases of 8 lanes and 64-bit stores in two of 16. The
/// staged tile is 64 rows of a 32-deep stage, 128 threads (<see cref="GemmTensorCoreKernel"/>).
/// </summary>
public class GemmStagingBankTests
{
    private const int Outer = GemmTensorCoreKernel.Tile, Depth = GemmTensorCoreKernel.Depth, Threads = GemmTensorCoreKernel.Threads;

    /// <summary>
    /// op(b) of an NN product (a dX product of a Linear layer) is contiguous along its columns, and each of a thread's
    /// elements goes to its own row of the k-contiguous tile. Aligned, a thread holds four columns at one k (one 128-bit
    /// load); unspread, a warp's 16 vectors of a row fall in 2 banks (8-way). Unaligned, a thread's elements are a
    /// group apart; unspread, a warp's 32 consecutive columns fall in 8 banks (4-way). Spread across k, every store of a
    /// warp is one transaction.
    /// </summary>
    [Theory]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32Mma), true, 8)]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16Mma<>), true, 8)]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32Mma), false, 4)]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16Mma<>), false, 4)]
    public void Stores_of_an_operand_contiguous_along_outer_are_free_of_bank_conflicts(string shape, bool vector, int unspreadTransactions)
    {
        var operand = Operand(kContiguous: false, vector);
        var mma = Shape(shape);
        Assert.True(mma.SpreadsAcrossK);
        for (int warp = 0; warp < Threads / 32; warp++)
            for (int q = 0; q < Slots; q++)
                for (int j = 0; j < 4; j++)
                    Assert.Equal(1, StoreTransactions(operand, mma, warp, q, j, mma.SpreadsAcrossK));
        int unspread = Enumerable.Range(0, Slots).SelectMany(q => Enumerable.Range(0, 4).Select(j => StoreTransactions(operand, mma, 0, q, j, spread: false))).Max();
        Assert.Equal(unspreadTransactions, unspread);
    }

    /// <summary>
    /// op(a) of an NN product is k-contiguous: each thread stores its four k of one row with one vector store, TF32 as
    /// 128 bits (each phase of 8 lanes in 32 distinct banks), BF16 as 64 bits of four halves (each phase of 16 lanes at
    /// most 2 words a bank, the price of rows of 20 words, which keep the fragment loads conflict-free).
    /// </summary>
    [Theory]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32Mma), 4, 8, 1)]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16Mma<>), 2, 16, 2)]
    public void Vector_stores_of_a_k_contiguous_operand_take_at_most_the_given_transactions_per_phase(string shape, int wordsPerLane,
        int lanesPerPhase, int transactionsPerPhase)
    {
        var operand = Operand(kContiguous: true, vector: true);
        var mma = Shape(shape);
        for (int warp = 0; warp < Threads / 32; warp++)
            for (int q = 0; q < Slots; q++)
                for (int phase = 0; phase < 32 / lanesPerPhase; phase++)
                {
                    var words = Enumerable.Range(phase * lanesPerPhase, lanesPerPhase).SelectMany(lane =>
                    {
                        var (outer, k) = operand.SlotPosition(q, 0, 32 * warp + lane, Threads, Outer, Depth, mma.SpreadsAcrossK);
                        Assert.Equal(0, k % 4);
                        return Enumerable.Range(0, wordsPerLane).Select(w => mma.Word(outer, k) + w);
                    });
                    Assert.InRange(Transactions(words), 1, transactionsPerPhase);
                }
    }

    /// <summary>
    /// Each fragment register a warp loads (lane (r, q) = (lane / 4, lane % 4) reads row or column r, or r + 8, at the k
    /// that the PTX ISA gives it, <see cref="GemmTensorCoreKernel.IMmaShape.Holder"/>) is one transaction: rows padded
    /// by 4 words put the 8 rows in distinct groups of 4 banks.
    /// </summary>
    [Theory]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32Mma))]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16Mma<>))]
    public void Fragment_loads_are_free_of_bank_conflicts(string shape)
    {
        var mma = Shape(shape);
        for (int first = 0; first < Outer; first += 8)
            for (int k0 = 0; k0 < Depth; k0 += mma.Depth)
                for (int register = 0; register < 2; register++)
                {
                    var words = Enumerable.Range(0, 32).Select(lane => mma.Word(first + lane / 4, k0 + FirstKHeldBy(mma, lane % 4, register)));
                    Assert.Equal(1, Transactions(words));
                }
    }

    /// <summary>The first k of an mma step that lane q of a row holds in <paramref name="register"/>.</summary>
    private static int FirstKHeldBy(GemmTensorCoreKernel.IMmaShape mma, int q, int register) =>
        Enumerable.Range(0, mma.Depth).First(k => mma.Holder(k) == (q, register));

    private static int Slots => StagedRegisters.Slots(Outer, Depth, Threads);

    /// <summary>The transactions of warp <paramref name="warp"/>'s store of element <paramref name="j"/> of its slot <paramref name="q"/>.</summary>
    private static int StoreTransactions(GemmStagedOperand operand, GemmTensorCoreKernel.IMmaShape mma, int warp, int q, int j, bool spread) =>
        Transactions(Enumerable.Range(0, 32).Select(lane =>
        {
            var (outer, k) = operand.SlotPosition(q, j, 32 * warp + lane, Threads, Outer, Depth, spread);
            return mma.Word(outer, k);
        }));

    /// <summary>The transactions of one access: the most distinct words that fall in one bank.</summary>
    private static int Transactions(IEnumerable<int> words) => words.Distinct().GroupBy(word => word % 32).Max(bank => bank.Count());

    private static GemmTensorCoreKernel.IMmaShape Shape(string name) =>
        name == nameof(GemmTensorCoreKernel.Tf32Mma) ? default(GemmTensorCoreKernel.Tf32Mma) : default(GemmTensorCoreKernel.Bf16Mma<GemmTensorCoreKernel.ArithmeticBf16Packing>);

    /// <summary>op(a) (k-contiguous) or op(b) (contiguous along outer) of a 256 x 256 x 256 NN product, read with 128-bit loads or not.</summary>
    private static GemmStagedOperand Operand(bool kContiguous, bool vector)
    {
        int aligned = vector ? 1 : 0;
        var shape = new GemmShape(0, 0, 256, 256, 256, 256, 256, 0, 0, 1f, 0f, 0, 0, 0, 0, Precision.Tf32, aligned, aligned, 0, 0);
        return kContiguous ? GemmStagedOperand.A(default(ArrayView<float>), 0, shape, 0) : GemmStagedOperand.B(default(ArrayView<float>), 0, shape, 0);
    }
}
