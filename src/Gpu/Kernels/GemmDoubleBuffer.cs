using BiGS.Native.Kernels.Cpu;
using ILGPU;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// The k loop of the SIMT and tensor-core GEMM kernels over double-buffered shared tiles. The first stage is staged
/// before the loop; at every step the next stage's operands are loaded from global memory into registers, the current
/// stage is multiplied, and the loaded operands are stored into the other buffer (last read before the previous
/// barrier). The global loads are thus in flight during the multiply-adds, and one barrier per step suffices.
/// </summary>
internal static class GemmDoubleBuffer
{
    /// <summary>
    /// Runs <paramref name="product"/> over the stages of k [<paramref name="kBegin"/>, <paramref name="kEnd"/>),
    /// <paramref name="depth"/> at a time, with op(a) and op(b) staged into <paramref name="a"/> and <paramref name="b"/>.
    /// </summary>
    public static void Run<TProduct, TLayout>(ref TProduct product, in GemmSharedTiles<TLayout> a, in GemmSharedTiles<TLayout> b,
        int kBegin, int kEnd, int depth, int thread, int threads) where TProduct : struct, IGemmStageProduct where TLayout : struct, IGemmStageLayout
    {
        a.Stage(kBegin, 0, thread, threads);
        b.Stage(kBegin, 0, thread, threads);
        Group.Barrier();
        for (int k0 = kBegin, buffer = 0; k0 < kEnd; k0 += depth, buffer ^= 1)
        {
            bool more = k0 + depth < kEnd;
            var nextA = more ? a.Load(k0 + depth, thread, threads) : default;
            var nextB = more ? b.Load(k0 + depth, thread, threads) : default;
            product.Multiply(buffer);
            if (more)
            {
                a.Store(nextA, buffer ^ 1, thread, threads);
                b.Store(nextB, buffer ^ 1, thread, threads);
            }
            Group.Barrier();
        }
    }
}

/// <summary>What a GEMM kernel does with one staged step of k: its multiply-adds from shared buffer 0 or 1.</summary>
internal interface IGemmStageProduct
{
    /// <summary>Accumulates the products of the stage in shared buffer <paramref name="buffer"/>.</summary>
    void Multiply(int buffer);
}

/// <summary>
/// One operand's two shared buffers of <see cref="GemmDoubleBuffer"/>, <paramref name="stageSize"/> floats apart, each
/// holding outer [base, +<paramref name="outerCount"/>) by k [k0, +<paramref name="depth"/>) as <paramref name="layout"/>
/// writes it.
/// </summary>
internal readonly struct GemmSharedTiles<TLayout>(GemmStagedOperand operand, ArrayView<float> buffers, int stageSize, int outerCount,
    int depth, TLayout layout) where TLayout : struct, IGemmStageLayout
{
    /// <summary>Stages k [<paramref name="k0"/>, +depth) into <paramref name="buffer"/> (<see cref="GemmStagedOperand.Stage"/>).</summary>
    public void Stage(int k0, int buffer, int thread, int threads) =>
        operand.Stage(k0, outerCount, depth, thread, threads, Buffer(buffer), layout);

    /// <summary>The thread's share of the stage at <paramref name="k0"/>, in registers (<see cref="GemmStagedOperand.Load"/>).</summary>
    public StagedRegisters Load(int k0, int thread, int threads) => operand.Load(k0, outerCount, depth, thread, threads);

    /// <summary>Stores what <see cref="Load"/> loaded into <paramref name="buffer"/>.</summary>
    public void Store(in StagedRegisters staged, int buffer, int thread, int threads) =>
        operand.Store(staged, outerCount, depth, thread, threads, Buffer(buffer), layout);

    /// <summary>Shared buffer 0 or 1.</summary>
    public ArrayView<float> Buffer(int buffer) => buffers.SubView(buffer * stageSize, stageSize);
}

/// <summary>How a kernel keeps a stage of an operand in a shared buffer: where each element goes, rounded how.</summary>
internal interface IGemmStageLayout
{
    /// <summary>Writes the operand's element (<paramref name="outer"/>, <paramref name="k"/>) of the stage into <paramref name="tile"/>.</summary>
    void Write(ArrayView<float> tile, int outer, int k, float value);
}

/// <summary>fp32 words at tile[k <paramref name="kStride"/> + outer <paramref name="outerStride"/>], rounded to <paramref name="precision"/>.</summary>
internal readonly struct RoundedFloats(int kStride, int outerStride, Precision precision) : IGemmStageLayout
{
    public void Write(ArrayView<float> tile, int outer, int k, float value) => tile[k * kStride + outer * outerStride] = GemmRounding.Round(value, precision);
}
