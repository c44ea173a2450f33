using ILGPU;
using static BiGS.Native.Gpu.Kernels.GemmTensorCoreKernel;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// The tensor-core GEMM (<see cref="GemmTensorCoreKernel"/>) with only its mma.sync instructions and accumulator
/// registers emulated, so that the rest of it (staging, fragment loads, warp and lane offsets, split k, epilogue) runs
/// where there are no tensor cores: on ILGPU's CPU accelerator, with groups of 128 or 256 threads allowed (the tile's launch).
/// Each thread publishes its fragments in shared memory; then lane (g, q) = (lane / 4, lane % 4) of a warp computes its
/// own accumulators from the fragments of the lanes that hold its rows of a and columns of b, as the PTX ISA lays them
/// out (<see cref="IMmaShape.Holder"/>):
/// <code>
///   c[g + 8h, 2q + j] += sum over k of a[g + 8h, k] b[k, 2q + j]      (h, j in {0, 1}: accumulator 2h + j of the mma tile)
/// </code>
/// in k order, in fp32 (a product of two TF32 or BF16 values is exact in fp32). A permutation of k applied alike to a and
/// b changes no sum (on the tensor cores either), so of the fragment layout this checks that the loads of a and b agree
/// on where each k goes, and that rows and columns land where the accumulator layout puts them. Runs on the CPU
/// accelerator only: the accumulators are a .NET array.
/// </summary>
public static class GemmTensorCoreEmulation
{
    /// <summary><see cref="GemmTensorCoreKernel.Tf32{TTile, TEdges}"/> with the mma emulated.</summary>
    public static void Tf32<TTile, TEdges>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split) where TTile : struct, ITensorCoreTile
        where TEdges : struct, IGemmEdges =>
        Run<TTile, TEdges, Tf32Mma, EmulatedWarpAccumulators>(new Tf32Mma(default(TTile).Depth), default, a, b, c, bias, operand, product, s, split);

    /// <summary><see cref="GemmTensorCoreKernel.Bf16{TTile, TEdges}"/> with the mma emulated.</summary>
    public static void Bf16<TTile, TEdges>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split) where TTile : struct, ITensorCoreTile
        where TEdges : struct, IGemmEdges =>
        Run<TTile, TEdges, Bf16Mma<ArithmeticBf16Packing>, EmulatedWarpAccumulators>(new Bf16Mma<ArithmeticBf16Packing>(default(TTile).Depth), default,
            a, b, c, bias, operand, product, s, split);

    /// <summary><see cref="GemmTensorCoreKernel.Tf32Rounded{TTile, TEdges}"/> with the mma emulated.</summary>
    public static void Tf32Rounded<TTile, TEdges>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split) where TTile : struct, ITensorCoreTile
        where TEdges : struct, IGemmEdges =>
        Run<TTile, TEdges, PreRoundedMma<Tf32Mma>, EmulatedWarpAccumulators>(RoundedTf32Mma<TTile>(), default, a, b, c, bias, operand, product, s, split);

    /// <summary><see cref="GemmTensorCoreKernel.Bf16Pairs{TTile, TEdges}"/> with the mma emulated.</summary>
    public static void Bf16Pairs<TTile, TEdges>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split) where TTile : struct, ITensorCoreTile
        where TEdges : struct, IGemmEdges =>
        Run<TTile, TEdges, PreRoundedMma<Bf16Mma<ArithmeticBf16Packing>>, EmulatedWarpAccumulators>(Bf16PairsMma<TTile, ArithmeticBf16Packing>(), default,
            a, b, c, bias, operand, product, s, split);

    /// <summary>A thread's accumulators in an array, and every thread's fragments of the current k-step in shared memory.</summary>
    internal struct EmulatedWarpAccumulators : IWarpAccumulators
    {
        /// <summary>a0 to a3 (the warp's 16-row mma tiles), then b0 to b7 (its 8-column mma tiles, 4 of a 32-column block).</summary>
        private const int FragmentsPerThread = 12;

        /// <summary>
        /// The largest group of a tile configuration (128 x 128: 256 threads), and the most accumulators of a thread
        /// (<see cref="GemmTensorCorePipelineKernel"/>'s 64 x 64 warp blocks).
        /// </summary>
        private const int MaxThreads = 256, MaxAccumulators = 128;

        private float[] values;
        private ArrayView<Fragment> fragments;

        public void Declare()
        {
            values = new float[MaxAccumulators];
            fragments = SharedMemory.Allocate<Fragment>(MaxThreads * FragmentsPerThread);
        }

        public void Multiply<TMma>(TMma mma, int mmaRows, WarpFragments f) where TMma : struct, IMmaShape => MultiplyTiles(mma, 4 * mmaRows, f, default);

        /// <summary>
        /// A 64 x 64 warp block's k-step (<see cref="GemmTensorCorePipelineKernel"/>): a's four row tiles in
        /// <paramref name="left"/>, b's column tiles 0 to 3 in <paramref name="left"/> and 4 to 7 in <paramref name="right"/>.
        /// </summary>
        public void MultiplyWide<TMma>(TMma mma, WarpFragments left, WarpFragments right) where TMma : struct, IMmaShape => MultiplyTiles(mma, 32, left, right);

        /// <summary>
        /// Mma tiles 0 to <paramref name="tiles"/> - 1, each of the row tile of a and column tile of b that
        /// <see cref="LaneAccumulators.MmaTile"/> gives it, into accumulators 4 t on (<see cref="LaneAccumulators.Position"/>).
        /// </summary>
        private void MultiplyTiles<TMma>(TMma mma, int tiles, WarpFragments left, WarpFragments right) where TMma : struct, IMmaShape
        {
            int thread = Group.IdxX, warpFirst = thread / 32 * 32, g = thread % 32 / 4, q = thread % 4;
            Publish(thread, left, right);
            Group.Barrier();
            for (int tile = 0; tile < tiles; tile++)
            {
                var (rowTile, columnTile) = LaneAccumulators.MmaTile(tile);
                for (int e = 0; e < 4; e++)
                {
                    int half = e / 2, column = 2 * q + e % 2;
                    float sum = values[4 * tile + e];
                    for (int k = 0; k < mma.Depth; k++)
                    {
                        var (holder, register) = mma.Holder(k);
                        var a = fragments[(warpFirst + 4 * g + holder) * FragmentsPerThread + rowTile];
                        var b = fragments[(warpFirst + 4 * column + holder) * FragmentsPerThread + 4 + columnTile];
                        sum += mma.Operand(Register(a, 2 * register + half), k) * mma.Operand(Register(b, register), k);
                    }
                    values[4 * tile + e] = sum;
                }
            }
            Group.Barrier();   // every lane has read the fragments before the next step publishes its own
        }

        public readonly (float Sum, float Next) ReadPair(int pair) => (values[2 * pair], values[2 * pair + 1]);

        private readonly void Publish(int thread, WarpFragments left, WarpFragments right)
        {
            int first = thread * FragmentsPerThread;
            for (int i = 0; i < 4; i++)
            {
                fragments[first + i] = left.A(i);
                fragments[first + 4 + i] = left.B(i);
                fragments[first + 8 + i] = right.B(i);
            }
        }

        private static uint Register(Fragment fragment, int index) =>
            index == 0 ? fragment.R0 : index == 1 ? fragment.R1 : index == 2 ? fragment.R2 : fragment.R3;
    }
}
