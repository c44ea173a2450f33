using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BiGS.Native.Kernels.Cpu;
using Xunit;

namespace BiGS.Native.Tests.Kernels;

/// <summary>
/// Checks <see cref="Gemm"/> against a naive double-precision triple loop on seeded random data in [-1, 1).
/// Tolerance per element of C: <c>1e-5 * (k * |alpha| * max|A| * max|B| + |beta| * max|C0|)</c>, i.e. about
/// 1e-5 relative error per accumulated term (float epsilon is 6e-8, so this leaves room for any summation order).
/// Matrices are stored with padded rows (ld larger than the column count) where a test asks for it, and the
/// padding of C must come back untouched.
/// </summary>
public class GemmTests
{
    private static readonly (int M, int N, int K)[] AwkwardSizes =
    [
        (1, 1, 1), (3, 17, 1), (1, 255, 17), (255, 1, 17), (17, 3, 255), (32, 32, 32),
        (1000, 17, 40), (40, 1000, 17), (17, 40, 1000), (255, 255, 500),
    ];

    /// <summary>Every awkward size with every transpose combination.</summary>
    public static TheoryData<bool, bool, int, int, int> SizesAndTransposes()
    {
        var data = new TheoryData<bool, bool, int, int, int>();
        foreach (var (m, n, k) in AwkwardSizes)
            foreach (bool transA in new[] { false, true })
                foreach (bool transB in new[] { false, true })
                    data.Add(transA, transB, m, n, k);
        return data;
    }

    [Theory]
    [MemberData(nameof(SizesAndTransposes))]
    public void Sgemm_MatchesNaiveReference(bool transA, bool transB, int m, int n, int k) =>
        new GemmCase(transA, transB, m, n, k, alpha: 1.5f, beta: 0.5f).RunSgemm();

    [Theory]
    [InlineData(8, 8, 8)]       // direct path
    [InlineData(70, 90, GemmBlocking.KC + 116)]   // blocked path, two k blocks
    public void Sgemm_BetaZero_IgnoresNaNInC(int m, int n, int k)
    {
        var test = new GemmCase(false, true, m, n, k, alpha: 0.75f, beta: 0f, fillC: float.NaN);
        test.RunSgemm();
        Assert.All(test.CRegion(), v => Assert.False(float.IsNaN(v)));
    }

    [Theory]
    [InlineData(1f, 1f, 8, 8, 8)]
    [InlineData(1f, 1f, 70, 90, GemmBlocking.KC + 116)]
    [InlineData(-2f, 0.5f, 8, 8, 8)]
    [InlineData(-2f, 0.5f, 70, 90, GemmBlocking.KC + 116)]
    public void Sgemm_AlphaBetaVariants(float alpha, float beta, int m, int n, int k) =>
        new GemmCase(true, false, m, n, k, alpha, beta).RunSgemm();

    [Fact]
    public void Sgemm_AlphaZero_DoesNotReadAOrB()
    {
        var test = new GemmCase(false, false, 40, 50, 60, alpha: 0f, beta: 0.5f);
        Array.Fill(test.A, float.NaN);
        Array.Fill(test.B, float.NaN);
        test.RunSgemm(); // reference with alpha = 0 never touches A or B: C = beta * C
    }

    [Theory]
    [InlineData(0.5f)]
    [InlineData(0f)]
    public void Sgemm_KZero_ScalesC(float beta) =>
        new GemmCase(false, false, 9, 7, 0, alpha: 1f, beta, fillC: beta == 0f ? float.NaN : null).RunSgemm();

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public void Sgemm_SubMatrixViews_WithPaddedRowStrides(bool transA, bool transB)
    {
        new GemmCase(transA, transB, 5, 6, 7, alpha: 1f, beta: 1f, rowPadding: 3).RunSgemm();
        new GemmCase(transA, transB, 130, 70, 260, alpha: 1f, beta: 1f, rowPadding: 5).RunSgemm();
    }

    [Theory]
    [InlineData(1300, 48, 700)]  // taller than wide: two threads split the rows
    [InlineData(48, 1300, 700)]  // wider than tall: two threads split the columns
    [InlineData(7, 4100, 5)]    // more columns than one packed B panel holds
    public void Sgemm_BlockBoundariesAndThreadSplits(int m, int n, int k) =>
        new GemmCase(false, false, m, n, k, alpha: 1f, beta: 0f).RunSgemm();

    /// <summary>
    /// C taller than wide on several threads: the threads pack op(B) together and share it. k takes several
    /// k blocks, the last B micro-panel is partial (75 = 4 * 16 + 11 columns) and three threads split the rows.
    /// </summary>
    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void Sgemm_TallCOnSeveralThreads_SharesPackedB(bool transA, bool transB)
    {
        int threads = CpuParallel.ThreadCount;
        try
        {
            CpuParallel.ThreadCount = 3;
            new GemmCase(transA, transB, 400, 75, 2000, alpha: 1f, beta: 0.5f, rowPadding: 1).RunSgemm();
        }
        finally
        {
            CpuParallel.ThreadCount = threads;
        }
    }

    /// <summary>Kernel paths this CPU can run (each forced through the blocked driver).</summary>
    public static TheoryData<string> SupportedKernelPaths()
    {
        var data = new TheoryData<string> { nameof(GemmKernelPath.Scalar) };
        if (Vector128.IsHardwareAccelerated) data.Add(nameof(GemmKernelPath.Vector128));
        if (Avx2.IsSupported && Fma.IsSupported) data.Add(nameof(GemmKernelPath.Avx2Fma));
        if (Avx512F.IsSupported) data.Add(nameof(GemmKernelPath.Avx512));
        return data;
    }

    [Theory]
    [MemberData(nameof(SupportedKernelPaths))]
    public void SgemmBlocked_EveryKernelPath_MatchesReference(string pathName)
    {
        var path = Enum.Parse<GemmKernelPath>(pathName);
        foreach (bool transA in new[] { false, true })
            foreach (bool transB in new[] { false, true })
            {
                new GemmCase(transA, transB, 13, 37, GemmBlocking.KC + 116, alpha: 1.25f, beta: 0.5f, rowPadding: 2).RunBlocked(path);
                new GemmCase(transA, transB, 12, 16, 5, alpha: 1f, beta: 0f, fillC: float.NaN).RunBlocked(path);
            }
    }

    /// <summary>
    /// A not transposed and B transposed are packed by 8 x 8 transposes of 8 k steps at a time: every remainder of k
    /// mod 8 (left to the scalar tail), A panels of MR and fewer rows, and B panels whose groups of 8 columns are
    /// partly or wholly padding, for the tile of each kernel path (6 x 16 for AVX2, 12 x 32 for AVX-512).
    /// </summary>
    public static TheoryData<int, int, string> PartialPanelsOfSupportedPaths()
    {
        var data = new TheoryData<int, int, string>();
        if (Avx2.IsSupported && Fma.IsSupported)
        {
            data.Add(17, 26, nameof(GemmKernelPath.Avx2Fma)); // A panels of 6, 6, 5 rows; B panels of 16 and 10 columns (second group 2 of 8)
            data.Add(4, 7, nameof(GemmKernelPath.Avx2Fma));   // one A panel of 4 rows; one B panel of 7 columns (first group partial, second empty)
        }
        if (Avx512F.IsSupported)
        {
            data.Add(29, 70, nameof(GemmKernelPath.Avx512));  // A panels of 12, 12, 5 rows; B panels of 32, 32, 6 columns
            data.Add(11, 45, nameof(GemmKernelPath.Avx512));  // one A panel of 11 rows (second group 3 of 4); B panels of 32 and 13
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(PartialPanelsOfSupportedPaths))]
    public void SgemmBlocked_TransposingPack_AllStepRemaindersAndPartialPanels(int m, int n, string pathName)
    {
        var path = Enum.Parse<GemmKernelPath>(pathName);
        for (int k = 40; k < 48; k++)
            new GemmCase(false, true, m, n, k, alpha: 1f, beta: 0.5f, rowPadding: 3).RunBlocked(path);
    }

    [Theory]
    [InlineData(3, 20, 30, 40, false)]      // direct path per product
    [InlineData(3000, 8, 9, 10, false)]     // many tiny products spread over the threads
    [InlineData(5, 33, 17, 40, true)]
    [InlineData(140, 64, 48, 80, true)]     // blocked products spread over the threads
    [InlineData(2, 1300, 48, 700, false)]   // products large enough to split over the threads themselves
    public void SgemmBatched_MatchesPerProductReference(int batch, int m, int n, int k, bool transposes)
    {
        foreach (var (broadcastA, broadcastB) in new[] { (false, false), (true, false), (false, true) })
            RunBatched(batch, transposes, transposes, m, n, k, broadcastA, broadcastB, interleaveC: false);
    }

    [Fact]
    public void SgemmBatched_InterleavedC_WritesEachProductIntoItsColumns() =>
        // C laid out [m, batch, n]: ldc = batch * n, strideC = n (e.g. attention heads side by side).
        RunBatched(4, false, true, 10, 12, 9, broadcastA: false, broadcastB: true, interleaveC: true);

    private static void RunBatched(int batch, bool transA, bool transB, int m, int n, int k,
        bool broadcastA, bool broadcastB, bool interleaveC)
    {
        var items = Enumerable.Range(0, batch)
            .Select(i => new GemmCase(transA, transB, m, n, k, alpha: 0.5f, beta: 2f, seed: 100 + i))
            .ToArray();
        if (broadcastA) foreach (var item in items) item.A = items[0].A;
        if (broadcastB) foreach (var item in items) item.B = items[0].B;
        int aSize = items[0].A.Length, bSize = items[0].B.Length;
        float[] a = broadcastA ? items[0].A : items.SelectMany(t => t.A).ToArray();
        float[] b = broadcastB ? items[0].B : items.SelectMany(t => t.B).ToArray();
        long strideA = broadcastA ? 0 : aSize, strideB = broadcastB ? 0 : bSize;

        int ldc = interleaveC ? batch * n : n;
        long strideC = interleaveC ? n : (long)m * n;
        float[] c = new float[batch * m * n];
        for (int i = 0; i < batch; i++)
            for (int r = 0; r < m; r++)
                Array.Copy(items[i].C, r * n, c, i * strideC + r * ldc, n);

        var first = items[0];
        Gemm.SgemmBatched(batch, transA, transB, m, n, k, first.Alpha, a, first.Lda, strideA, b, first.Ldb, strideB,
            first.Beta, c, ldc, strideC);

        for (int i = 0; i < batch; i++)
        {
            for (int r = 0; r < m; r++)
                Array.Copy(c, i * strideC + r * ldc, items[i].C, r * n, n);
            items[i].AssertMatchesReference($"batch item {i}");
        }
    }

    [Fact]
    public void Sgemm_ShortSpan_NamesDimensions()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(false, false, 3, 2, 4, 1f, new float[10], 4, new float[8], 2, 0f, new float[6], 2));
        Assert.Equal("Sgemm: A (transA=false) needs 12 elements for (3,4) with lda 4 but has 10", error.Message);

        error = Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(false, true, 3, 2, 4, 1f, new float[12], 4, new float[7], 4, 0f, new float[6], 2));
        Assert.Equal("Sgemm: B (transB=true) needs 8 elements for (2,4) with ldb 4 but has 7", error.Message);

        error = Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(false, false, 3, 2, 4, 1f, new float[12], 4, new float[8], 2, 0f, new float[7], 3));
        Assert.Equal("Sgemm: C needs 8 elements for (3,2) with ldc 3 but has 7", error.Message);
    }

    [Fact]
    public void Sgemm_RowStrideShorterThanRow_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(true, false, 3, 2, 4, 1f, new float[12], 2, new float[8], 2, 0f, new float[6], 2));
        Assert.Equal("Sgemm: lda 2 is less than the 3 columns of A (transA=true) stored as (4,3)", error.Message);
    }

    [Fact]
    public void Sgemm_NegativeDimension_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(false, false, 3, -1, 4, 1f, new float[12], 4, new float[8], 2, 0f, new float[6], 2));
        Assert.Equal("Sgemm: dimensions must be non-negative but batch=1, m=3, n=-1, k=4", error.Message);
    }

    [Fact]
    public void SgemmBatched_InvalidStridesOrShortSpans_Throw()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Gemm.SgemmBatched(3, false, false, 3, 2, 4, 1f, new float[35], 4, 12, new float[8], 2, 0, 0f, new float[18], 2, 6));
        Assert.Equal("SgemmBatched: A (transA=false) needs 36 elements for 3 matrices (3,4) with lda 4 and strideA 12 but has 35",
            error.Message);

        error = Assert.Throws<ArgumentException>(() =>
            Gemm.SgemmBatched(3, false, false, 3, 2, 4, 1f, new float[12], 4, 0, new float[8], 2, -8, 0f, new float[18], 2, 6));
        Assert.Equal("SgemmBatched: strideB must be non-negative but is -8", error.Message);

        error = Assert.Throws<ArgumentException>(() =>
            Gemm.SgemmBatched(3, false, false, 3, 2, 4, 1f, new float[12], 4, 0, new float[8], 2, 0, 0f, new float[18], 2, 0));
        Assert.Equal("SgemmBatched: strideC is 0 for batch 3, so every product would write the same C", error.Message);
    }

    [Fact]
    public void Sgemm_EmptyDimensions_LeaveCUntouched()
    {
        float[] c = [7f, 8f];
        Gemm.Sgemm(false, false, 0, 2, 3, 1f, [], 3, new float[6], 2, 0f, [], 2);
        Gemm.Sgemm(false, false, 1, 0, 3, 1f, new float[3], 3, [], 0, 0f, c, 2);
        Assert.Equal([7f, 8f], c);
    }

    /// <summary>
    /// One product with random operands (row padding included), its double-precision reference,
    /// and the checks on the result.
    /// </summary>
    private sealed class GemmCase
    {
        public readonly bool TransA, TransB;
        public readonly int M, N, K, Lda, Ldb, Ldc;
        public readonly float Alpha, Beta;
        public float[] A, B;
        public readonly float[] C;
        private readonly float[] initialC;

        public GemmCase(bool transA, bool transB, int m, int n, int k, float alpha, float beta,
            int rowPadding = 0, float? fillC = null, int seed = 0)
        {
            (TransA, TransB, M, N, K, Alpha, Beta) = (transA, transB, m, n, k, alpha, beta);
            var random = new Random(HashCode.Combine(transA, transB, m, n, k, seed));
            (int aRows, int aCols) = transA ? (k, m) : (m, k);
            (int bRows, int bCols) = transB ? (n, k) : (k, n);
            (Lda, Ldb, Ldc) = (aCols + rowPadding, bCols + rowPadding, n + rowPadding);
            A = RandomValues(random, aRows * Lda);
            B = RandomValues(random, bRows * Ldb);
            C = RandomValues(random, m * Ldc);
            if (fillC is float fill) Array.Fill(C, fill);
            initialC = (float[])C.Clone();
        }

        public void RunSgemm()
        {
            Gemm.Sgemm(TransA, TransB, M, N, K, Alpha, A, Lda, B, Ldb, Beta, C, Ldc);
            AssertMatchesReference("Sgemm");
        }

        public void RunBlocked(GemmKernelPath path)
        {
            Gemm.SgemmBlocked(path, TransA, TransB, M, N, K, Alpha, A, Lda, B, Ldb, Beta, C, Ldc);
            AssertMatchesReference($"blocked {path}");
        }

        /// <summary>The m x n values of C, without row padding.</summary>
        public IEnumerable<float> CRegion() =>
            Enumerable.Range(0, M).SelectMany(i => C.Skip(i * Ldc).Take(N));

        public void AssertMatchesReference(string context)
        {
            double tolerance = 1e-5 * (K * Math.Abs(Alpha) * MaxAbs(A) * MaxAbs(B) + Math.Abs(Beta) * MaxAbs(initialC));
            for (int i = 0; i < M; i++)
            {
                for (int j = 0; j < N; j++)
                {
                    double expected = Reference(i, j), actual = C[i * Ldc + j];
                    if (!(Math.Abs(actual - expected) <= tolerance))
                        Assert.Fail($"{context} (transA={TransA}, transB={TransB}, m={M}, n={N}, k={K}): " +
                            $"C[{i},{j}] = {actual} but reference is {expected} (tolerance {tolerance:g3})");
                }
                for (int j = N; j < Ldc; j++)
                    Assert.Equal(initialC[i * Ldc + j], C[i * Ldc + j]);
            }
        }

        /// <summary>alpha * sum_p op(A)[i,p] * op(B)[p,j] + beta * C0[i,j] in doubles (C0 ignored when beta is 0).</summary>
        private double Reference(int i, int j)
        {
            double sum = 0;
            if (Alpha != 0f)
                for (int p = 0; p < K; p++)
                    sum += (double)A[TransA ? p * Lda + i : i * Lda + p] * B[TransB ? j * Ldb + p : p * Ldb + j];
            double old = Beta == 0f ? 0 : (double)Beta * initialC[i * Ldc + j];
            return Alpha * sum + old;
        }

        private static float[] RandomValues(Random random, int count) =>
            Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

        private static double MaxAbs(float[] values) =>
            values.Where(v => !float.IsNaN(v)).Select(v => (double)Math.Abs(v)).DefaultIfEmpty(0).Max();
    }
}
