using ILGPU;
using static BiGS.Native.Gpu.Kernels.GemmTensorCoreKernel;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// The tensor-core GEMM (<see cref="GemmTensorCoreKernel"/>) with only its mma.sync instructions and accumulator
/// registers emulated, so that the rest of it (staging, fragment loads, warp and lane offsets, split k, epilogue) runs
/// where there are no tensor cores: on ILGPU's CPU accelerator, with groups of 128 threads allowed (the kernel's launch).
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
    /// <summary><see cref="GemmTensorCoreKernel.Tf32"/> with the mma emulated.</summary>
    public static void Tf32(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split) =>
        Run(default(Tf32Mma), default(EmulatedWarpAccumulators), a, b, c, bias, operand, product, s, split);

    /// <summary><see cref="GemmTensorCoreKernel.Bf16"/> with the mma emulated.</summary>
    public static void Bf16(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape s, GemmSplitK split) =>
        Run(default(Bf16Mma<ArithmeticBf16Packing>), default(EmulatedWarpAccumulators), a, b, c, bias, operand, product, s, split);

    /// <summary>A thread's 32 accumulators in an array, and every thread's fragments of the current k-step in shared memory.</summary>
    private struct EmulatedWarpAccumulators : IWarpAccumulators
    {
        /// <summary>a0, a1 (rows 0-15 and 16-31 of the warp's quarter), then b0 to b3 (its four 8-column tiles).</summary>
        private const int FragmentsPerThread = 6;

        private float[] values;
        private ArrayView<Fragment> fragments;

        public void Declare()
        {
            values = new float[32];
            fragments = SharedMemory.Allocate<Fragment>(GemmTensorCoreKernel.Threads * FragmentsPerThread);
        }

        public void Multiply<TMma>(TMma mma, Fragment a0, Fragment a1, Fragment b0, Fragment b1, Fragment b2, Fragment b3)
            where TMma : struct, IMmaShape
        {
            int thread = Group.IdxX, warpFirst = thread / 32 * 32, g = thread % 32 / 4, q = thread % 4;
            Publish(thread, a0, a1, b0, b1, b2, b3);
            Group.Barrier();
            for (int tile = 0; tile < 8; tile++)
            {
                for (int e = 0; e < 4; e++)
                {
                    int half = e / 2, column = 2 * q + e % 2;
                    float sum = values[4 * tile + e];
                    for (int k = 0; k < mma.Depth; k++)
                    {
                        var (holder, register) = mma.Holder(k);
                        var a = fragments[(warpFirst + 4 * g + holder) * FragmentsPerThread + tile / 4];
                        var b = fragments[(warpFirst + 4 * column + holder) * FragmentsPerThread + 2 + tile % 4];
                        sum += mma.Operand(Register(a, 2 * register + half), k) * mma.Operand(Register(b, register), k);
                    }
                    values[4 * tile + e] = sum;
                }
            }
            Group.Barrier();   // every lane has read the fragments before the next step publishes its own
        }

        public readonly float Read(int index) => values[index];

        private readonly void Publish(int thread, Fragment a0, Fragment a1, Fragment b0, Fragment b1, Fragment b2, Fragment b3)
        {
            int first = thread * FragmentsPerThread;
            (fragments[first], fragments[first + 1]) = (a0, a1);
            (fragments[first + 2], fragments[first + 3], fragments[first + 4], fragments[first + 5]) = (b0, b1, b2, b3);
        }

        private static uint Register(Fragment fragment, int index) =>
            index == 0 ? fragment.R0 : index == 1 ? fragment.R1 : index == 2 ? fragment.R2 : fragment.R3;
    }
}
