using BiGS.Native.Gpu.Kernels;
using BiGS.Native.Kernels.Cpu;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// The tensor-core GEMM kernel (<see cref="GemmTensorCoreKernel"/>) on ILGPU's CPU accelerator with its mma.sync emulated
/// (<see cref="GemmTensorCoreEmulation"/>): everything but the instruction (staging, fragment loads, warp and lane offsets,
/// tails, split k, epilogue) against a double-precision product of the operands rounded to the precision, in CI where
/// no GPU exists. The accelerator allows the kernel's 128-thread groups.
/// </summary>
public sealed class GemmTensorCoreEmulationTests : IDisposable
{
    private readonly Context context = Context.Create(builder => builder.CPU(new CPUDevice(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: 4, numMultiprocessors: 1)));
    private readonly Accelerator accelerator;
    private readonly Random random = new(20231);

    public GemmTensorCoreEmulationTests() => accelerator = context.CreateCPUAccelerator(0);

    /// <summary>Precision, transposes, m, n, k, parts of k: awkward sizes, k not a multiple of the 32-deep stage, tails in both tile directions.</summary>
    public static TheoryData<Precision, bool, bool, int, int, int, int> Shapes => new()
    {
        { Precision.Tf32, false, false, 1, 1, 1, 1 },
        { Precision.Tf32, false, true, 33, 7, 100, 1 },
        { Precision.Tf32, true, false, 127, 65, 33, 1 },
        { Precision.Tf32, true, true, 70, 127, 200, 3 },
        { Precision.Bf16, false, false, 1, 1, 1, 1 },
        { Precision.Bf16, false, true, 33, 7, 100, 1 },
        { Precision.Bf16, true, false, 127, 65, 33, 1 },
        { Precision.Bf16, true, true, 70, 127, 200, 3 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesTheRoundedProduct(Precision precision, bool transposeA, bool transposeB, int m, int n, int k, int parts)
    {
        var problem = new Problem(precision, transposeA, transposeB, 1, m, n, k, BroadcastB: false);
        var (a, b) = (Values(m * k), Values(k * n));
        AssertClose(problem.Expected(a, b, Epilogue.None, null), Run(problem, a, b, Epilogue.None, null, parts), problem);
    }

    /// <summary>Two batches sharing one b, with the whole epilogue: alpha, beta onto c, the product kept, bias, GELU, residual.</summary>
    [Theory]
    [InlineData(Precision.Tf32, 1)]
    [InlineData(Precision.Bf16, 2)]
    public void BatchedWithTheEpilogue(Precision precision, int parts)
    {
        var problem = new Problem(precision, false, true, 2, 40, 72, 70, BroadcastB: true);
        var (a, b) = (Values(2 * 40 * 70), Values(72 * 70));
        var epilogue = new Epilogue(1.5f, 0.5f, Values(2 * 40 * 72), Values(72), Values(2 * 40 * 72));
        AssertClose(problem.Expected(a, b, epilogue, epilogue.C), Run(problem, a, b, epilogue, epilogue.C, parts), problem);
    }

    /// <summary>c (and the product before the bias) from the kernel, k split in up to <paramref name="parts"/> parts.</summary>
    private float[] Run(Problem p, float[] a, float[] b, Epilogue epilogue, float[]? c, int parts)
    {
        int depth = GemmSplitK.DepthFor(p.K, parts, GemmTensorCoreKernel.Depth), splits = GemmSplitK.PartsOf(p.K, depth);
        var tiles = new Index3D((p.N + 63) / 64, (p.M + 63) / 64, p.Batch);
        using var aBuffer = accelerator.Allocate1D(a);
        using var bBuffer = accelerator.Allocate1D(b);
        using var cBuffer = accelerator.Allocate1D(c ?? new float[p.Batch * p.M * p.N]);
        using var bias = accelerator.Allocate1D(epilogue.Bias ?? [0f]);
        using var residual = accelerator.Allocate1D(epilogue.Residual ?? [0f]);
        using var product = accelerator.Allocate1D<float>(p.Batch * p.M * p.N);
        using var partials = accelerator.Allocate1D<float>(Math.Max(1L, (long)tiles.Size * splits * 64 * 64));
        using var arrivals = accelerator.Allocate1D(new int[tiles.Size]);
        var kernel = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, GemmShape, GemmSplitK>(p.Precision == Precision.Tf32 ? GemmTensorCoreEmulation.Tf32 : GemmTensorCoreEmulation.Bf16);
        var split = new GemmSplitK(splits, depth, splits > 1 ? partials.View : ArrayView<float>.Empty, splits > 1 ? arrivals.View : ArrayView<int>.Empty);
        kernel(new KernelConfig(new Index3D(tiles.X, tiles.Y, p.Batch * splits), new Index3D(GemmTensorCoreKernel.Threads, 1, 1)),
            aBuffer.View, bBuffer.View, cBuffer.View, bias.View, residual.View, product.View, p.Shape(epilogue), split);
        accelerator.Synchronize();
        Assert.All(arrivals.GetAsArray1D(), count => Assert.Equal(0, count));   // reset for the next launch
        return cBuffer.GetAsArray1D();
    }

    private float[] Values(int count) => [.. Enumerable.Range(0, count).Select(_ => (float)(2 * random.NextDouble() - 1))];

    private static void AssertClose(double[] expected, float[] actual, Problem p)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            // fp32 sums of k exact products: within k ulps of the largest partial sum, which |sum| <= k bounds here.
            double tolerance = 1e-6 * p.K + 1e-6;
            if (Math.Abs(expected[i] - actual[i]) > tolerance)
                Assert.Fail($"{p}: element {i} (row {i / p.N % p.M}, column {i % p.N}) is {actual[i]}, expected {expected[i]} (tolerance {tolerance})");
        }
    }

    public void Dispose()
    {
        accelerator.Dispose();
        context.Dispose();
    }

    /// <summary>The epilogue's inputs: c = gelu(alpha a b + beta c + bias) + residual, or none of it.</summary>
    private sealed record Epilogue(float Alpha, float Beta, float[]? C, float[]? Bias, float[]? Residual)
    {
        public static readonly Epilogue None = new(1f, 0f, null, null, null);
    }

    /// <summary>
    /// A batched product of op(a) (m x k) and op(b) (k x n), each stored row-major (transposed: k x m and n x k), b shared
    /// by the batches when <see cref="BroadcastB"/>.
    /// </summary>
    private sealed record Problem(Precision Precision, bool TransposeA, bool TransposeB, int Batch, int M, int N, int K, bool BroadcastB)
    {
        public GemmShape Shape(Epilogue e)
        {
            int lda = TransposeA ? M : K, ldb = TransposeB ? K : N;
            long strideA = (long)M * K, strideB = BroadcastB ? 0 : (long)K * N;
            return new GemmShape(TransposeA ? 1 : 0, TransposeB ? 1 : 0, M, N, K, lda, ldb, strideA, strideB, e.Alpha, e.Beta,
                e.Bias is null ? 0 : 1, e.Bias is null ? GemmEpilogueStage.NoActivation : GemmEpilogueStage.GeluTanh,
                e.Residual is null ? GemmEpilogueStage.NoOperand : GemmEpilogueStage.ResidualOperand, HasProduct: 0, Precision,
                GemmStagedOperand.Vectorizable(0, lda, strideA) ? 1 : 0, GemmStagedOperand.Vectorizable(0, ldb, strideB) ? 1 : 0, 0, 0);
        }

        /// <summary>The epilogue of the double-precision product of the rounded operands.</summary>
        public double[] Expected(float[] a, float[] b, Epilogue e, float[]? c)
        {
            var expected = new double[Batch * M * N];
            for (int batch = 0; batch < Batch; batch++)
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < N; j++)
                    {
                        int at = (batch * M + i) * N + j;
                        double z = e.Alpha * Dot(a, b, batch, i, j) + (c is null ? 0 : e.Beta * c[at]);
                        if (e.Bias is not null) z = GeluTanh(z + e.Bias[j]);
                        expected[at] = z + (e.Residual?[at] ?? 0);
                    }
            return expected;
        }

        private double Dot(float[] a, float[] b, int batch, int i, int j)
        {
            double sum = 0;
            long aFirst = batch * (long)M * K, bFirst = BroadcastB ? 0 : batch * (long)K * N;
            for (int k = 0; k < K; k++)
            {
                float x = a[aFirst + (TransposeA ? k * M + i : i * K + k)], y = b[bFirst + (TransposeB ? j * K + k : k * N + j)];
                sum += (double)GemmRounding.Round(x, Precision) * GemmRounding.Round(y, Precision);
            }
            return sum;
        }

        /// <summary>GELU, tanh form: z/2 (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3))).</summary>
        private static double GeluTanh(double z) => 0.5 * z * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z)));
    }
}
