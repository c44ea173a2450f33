using BiGS.Native.Kernels.Cpu;
using ILGPU;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// Batched SGEMM with a fused epilogue (see <see cref="GemmEpilogueStage"/>), register-blocked and tiled in shared
/// memory (SIMT; no tensor cores). A group of 8 x 8 threads computes a 64 x 64 tile of c; each thread holds an 8 x 8
/// block of accumulators in registers, at rows ty + 8i and columns tx + 8j of the tile (so neighbouring threads load
/// and store neighbouring elements of c and of the staged b). Per step of 16 along k the group stages op(a) (64 x 16)
/// and op(b) (16 x 64) in shared memory, each element loaded from global memory once and then used 64 times; each
/// thread then does 64 multiply-adds per 16 shared loads. The shared tiles are double-buffered: the next step's
/// operands are staged into one buffer while the other is read, so one barrier per step suffices. Operands are rounded
/// to <see cref="GemmShape.Precision"/> as they are staged (exact for fp32; the tensor cores' rounding for tf32 and
/// bf16), the sums are fp32. Launch: groups (ceil(n/64), ceil(m/64), batch) of (8, 8) threads.
/// </summary>
public static class GemmKernel
{
    /// <summary>Rows and columns of c per group.</summary>
    public const int Tile = 64;

    /// <summary>Threads per group along each dimension.</summary>
    public const int Threads = 8;

    private const int Depth = 16;
    private const int PerThread = Tile / Threads;
    private const int StageSize = Depth * Tile;

    /// <summary>The kernel (see the class summary); bias, residual and product are read only when the shape says so.</summary>
    public static void Sgemm(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> residual, ArrayView<float> product, GemmShape s)
    {
        var tilesA = SharedMemory.Allocate<float>(2 * StageSize);   // [buffer][k][row]
        var tilesB = SharedMemory.Allocate<float>(2 * StageSize);   // [buffer][k][column]
        int tx = Group.IdxX, ty = Group.IdxY, thread = ty * Threads + tx;
        int rowBase = Grid.IdxY * Tile, colBase = Grid.IdxX * Tile;
        long aFirst = Grid.IdxZ * s.StrideA, bFirst = Grid.IdxZ * s.StrideB, cFirst = Grid.IdxZ * (long)s.M * s.N;
        var acc = default(Block8x8);
        Stage(a, b, aFirst, bFirst, s, rowBase, colBase, 0, thread, tilesA.SubView(0, StageSize), tilesB.SubView(0, StageSize));
        Group.Barrier();
        for (int k0 = 0, buffer = 0; k0 < s.K; k0 += Depth, buffer ^= 1)
        {
            // The other buffer was last read before the previous barrier, so it can be refilled now.
            if (k0 + Depth < s.K)
                Stage(a, b, aFirst, bFirst, s, rowBase, colBase, k0 + Depth, thread,
                    tilesA.SubView((buffer ^ 1) * StageSize, StageSize), tilesB.SubView((buffer ^ 1) * StageSize, StageSize));
            var tileA = tilesA.SubView(buffer * StageSize, StageSize);
            var tileB = tilesB.SubView(buffer * StageSize, StageSize);
            for (int k = 0; k < Depth; k++)
            {
                int rowOffset = k * Tile + ty, colOffset = k * Tile + tx;
                acc.Update(
                    tileA[rowOffset], tileA[rowOffset + Threads], tileA[rowOffset + 2 * Threads], tileA[rowOffset + 3 * Threads],
                    tileA[rowOffset + 4 * Threads], tileA[rowOffset + 5 * Threads], tileA[rowOffset + 6 * Threads], tileA[rowOffset + 7 * Threads],
                    tileB[colOffset], tileB[colOffset + Threads], tileB[colOffset + 2 * Threads], tileB[colOffset + 3 * Threads],
                    tileB[colOffset + 4 * Threads], tileB[colOffset + 5 * Threads], tileB[colOffset + 6 * Threads], tileB[colOffset + 7 * Threads]);
            }
            Group.Barrier();
        }
        for (int i = 0; i < PerThread; i++)
        {
            int row = rowBase + ty + Threads * i;
            if (row >= s.M) break;
            for (int j = 0; j < PerThread; j++)
            {
                int col = colBase + tx + Threads * j;
                if (col >= s.N) break;
                GemmEpilogueStage.Store(c, bias, residual, product, s, cFirst, row, col, acc.Get(i, j));
            }
        }
    }

    /// <summary>Stages op(a) rows [rowBase, +64) and op(b) columns [colBase, +64) at k [k0, +16), rounded, into shared memory.</summary>
    private static void Stage(ArrayView<float> a, ArrayView<float> b, long aFirst, long bFirst, GemmShape s, int rowBase, int colBase,
        int k0, int thread, ArrayView<float> tileA, ArrayView<float> tileB)
    {
        for (int e = thread; e < StageSize; e += Threads * Threads)
        {
            // Consecutive threads walk the operand's contiguous dimension.
            int kA = s.TransA != 0 ? e / Tile : e % Depth, rowA = s.TransA != 0 ? e % Tile : e / Depth;
            tileA[kA * Tile + rowA] = GemmRounding.Round(GemmOperands.A(a, aFirst, s, rowBase + rowA, k0 + kA), s.Precision);
            int kB = s.TransB != 0 ? e % Depth : e / Tile, colB = s.TransB != 0 ? e / Depth : e % Tile;
            tileB[kB * Tile + colB] = GemmRounding.Round(GemmOperands.B(b, bFirst, s, k0 + kB, colBase + colB), s.Precision);
        }
    }

    /// <summary>A thread's 8 x 8 accumulators, as sixty-four fields so they live in registers.</summary>
    private struct Block8x8
    {
        private float c00, c01, c02, c03, c04, c05, c06, c07, c10, c11, c12, c13, c14, c15, c16, c17, c20, c21, c22, c23, c24, c25, c26, c27, c30, c31, c32, c33, c34, c35, c36, c37, c40, c41, c42, c43, c44, c45, c46, c47, c50, c51, c52, c53, c54, c55, c56, c57, c60, c61, c62, c63, c64, c65, c66, c67, c70, c71, c72, c73, c74, c75, c76, c77;

        /// <summary>c[i, j] += a_i b_j (an outer product of a column of op(a) and a row of op(b)).</summary>
        public void Update(float a0, float a1, float a2, float a3, float a4, float a5, float a6, float a7,
            float b0, float b1, float b2, float b3, float b4, float b5, float b6, float b7)
        {
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3; c04 += a0 * b4; c05 += a0 * b5; c06 += a0 * b6; c07 += a0 * b7;
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3; c14 += a1 * b4; c15 += a1 * b5; c16 += a1 * b6; c17 += a1 * b7;
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3; c24 += a2 * b4; c25 += a2 * b5; c26 += a2 * b6; c27 += a2 * b7;
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3; c34 += a3 * b4; c35 += a3 * b5; c36 += a3 * b6; c37 += a3 * b7;
            c40 += a4 * b0; c41 += a4 * b1; c42 += a4 * b2; c43 += a4 * b3; c44 += a4 * b4; c45 += a4 * b5; c46 += a4 * b6; c47 += a4 * b7;
            c50 += a5 * b0; c51 += a5 * b1; c52 += a5 * b2; c53 += a5 * b3; c54 += a5 * b4; c55 += a5 * b5; c56 += a5 * b6; c57 += a5 * b7;
            c60 += a6 * b0; c61 += a6 * b1; c62 += a6 * b2; c63 += a6 * b3; c64 += a6 * b4; c65 += a6 * b5; c66 += a6 * b6; c67 += a6 * b7;
            c70 += a7 * b0; c71 += a7 * b1; c72 += a7 * b2; c73 += a7 * b3; c74 += a7 * b4; c75 += a7 * b5; c76 += a7 * b6; c77 += a7 * b7;
        }

        public readonly float Get(int i, int j) => i == 0 ? Row(c00, c01, c02, c03, c04, c05, c06, c07, j)
            : i == 1 ? Row(c10, c11, c12, c13, c14, c15, c16, c17, j)
            : i == 2 ? Row(c20, c21, c22, c23, c24, c25, c26, c27, j)
            : i == 3 ? Row(c30, c31, c32, c33, c34, c35, c36, c37, j)
            : i == 4 ? Row(c40, c41, c42, c43, c44, c45, c46, c47, j)
            : i == 5 ? Row(c50, c51, c52, c53, c54, c55, c56, c57, j)
            : i == 6 ? Row(c60, c61, c62, c63, c64, c65, c66, c67, j)
            : Row(c70, c71, c72, c73, c74, c75, c76, c77, j);

        private static float Row(float v0, float v1, float v2, float v3, float v4, float v5, float v6, float v7, int j) =>
            j == 0 ? v0 : j == 1 ? v1 : j == 2 ? v2 : j == 3 ? v3 : j == 4 ? v4 : j == 5 ? v5 : j == 6 ? v6 : v7;
    }
}

/// <summary>Reads of the GEMM operands through their layouts, shared by the SIMT and tensor-core kernels.</summary>
public static class GemmOperands
{
    /// <summary>op(a)[row, k] of the product starting at <paramref name="first"/>; 0 outside the matrix.</summary>
    public static float A(ArrayView<float> a, long first, GemmShape s, int row, int k)
    {
        if (row >= s.M || k >= s.K) return 0f;
        return s.TransA != 0 ? a[first + (long)k * s.Lda + row] : a[first + (long)row * s.Lda + k];
    }

    /// <summary>op(b)[k, col] of the product starting at <paramref name="first"/>; 0 outside the matrix.</summary>
    public static float B(ArrayView<float> b, long first, GemmShape s, int k, int col)
    {
        if (k >= s.K || col >= s.N) return 0f;
        return s.TransB != 0 ? b[first + (long)col * s.Ldb + k] : b[first + (long)k * s.Ldb + col];
    }
}

/// <summary>
/// The fused epilogue of the GEMM kernels, per element of c (see <see cref="BiGS.Native.Tensors.GemmEpilogue"/>):
/// z = alpha acc + beta c; product = z; c = act(z + bias[col]) + residual.
/// </summary>
public static class GemmEpilogueStage
{
    /// <summary>Activation code of no activation.</summary>
    public const int NoActivation = 0;

    /// <summary>Activation code of the tanh-approximated GELU.</summary>
    public const int GeluTanh = 1;

    /// <summary>Activation code of the erf GELU.</summary>
    public const int GeluErf = 2;

    /// <summary>Applies the epilogue to the accumulated <paramref name="sum"/> of c[row, col] and stores it.</summary>
    public static void Store(ArrayView<float> c, ArrayView<float> bias, ArrayView<float> residual, ArrayView<float> product,
        GemmShape s, long cFirst, int row, int col, float sum)
    {
        long target = cFirst + (long)row * s.N + col;
        float z = s.Alpha * sum;
        // beta == 0 must not read c: it may hold uninitialised memory (NaN * 0 = NaN).
        if (s.Beta != 0f) z += s.Beta * c[target];
        if (s.HasProduct != 0) product[target] = z;
        if (s.HasBias != 0) z += bias[col];
        if (s.Activation == GeluTanh) z = Gelu.Tanh(z);
        else if (s.Activation == GeluErf) z = Gelu.Erf(z);
        if (s.HasResidual != 0) z += residual[target];
        c[target] = z;
    }
}

/// <summary>
/// The sizes of a batched GEMM: op(a) is (M, K) and op(b) is (K, N), stored row-major with leading dimensions Lda and
/// Ldb, transposed when TransA / TransB is not 0; StrideA / StrideB elements between batches (0 broadcasts one matrix);
/// c is (M, N) dense per batch. The epilogue: Alpha, Beta, and flags for the bias, residual and product views
/// (given only with batch 1) and the activation code of <see cref="GemmEpilogueStage"/>; Precision rounds the operands.
/// </summary>
public readonly record struct GemmShape(int TransA, int TransB, int M, int N, int K, int Lda, int Ldb, long StrideA, long StrideB,
    float Alpha, float Beta, int HasBias, int Activation, int HasResidual, int HasProduct, Precision Precision);
