using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Tensors;
using BiGS.Native.Tests.Kernels;
using SpecialFunctions = MathNet.Numerics.SpecialFunctions;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// The GEMM entry point (<see cref="Tensor.GemmInto"/>) in every layout a Linear layer uses (NN, NT, TN), with every
/// epilogue and precision, against a double-precision reference at awkward sizes (1, 7, 33, 127, 1000; k not a
/// multiple of any tile). The reference rounds the operands to the precision with <see cref="ReferenceRounding"/>, so
/// tf32 and bf16 are held to fp32 accumulation error; a second check against the unrounded product bounds the error of
/// the precision itself. Runs on the CPU and on each GPU backend (tf32 and bf16 on tensor cores where CUDA has them).
/// </summary>
public abstract class GemmEpilogueTests
{
    /// <summary>Awkward sizes; last, one whose tiles inside c are whole while m and n end mid-tile (<see cref="GemmTileBlocks"/>).</summary>
    private static readonly (int M, int N, int K)[] Shapes = [(1, 1, 1), (7, 33, 127), (127, 7, 33), (33, 127, 7), (1000, 7, 33), (33, 7, 1000), (196, 136, 64)];

    /// <summary>Every layout with every precision.</summary>
    public static TheoryData<string, string> LayoutsAndPrecisions()
    {
        var data = new TheoryData<string, string>();
        foreach (string layout in new[] { "NN", "NT", "TN" })
            foreach (string precision in new[] { "fp32", "tf32", "bf16" })
                data.Add(layout, precision);
        return data;
    }

    /// <summary>The device under test: the class's target.</summary>
    protected virtual Device Device => TestDevices.For(GetType());

    [GpuTheory]
    [MemberData(nameof(LayoutsAndPrecisions))]
    public void Every_epilogue_matches_a_double_reference(string layout, string precisionName)
    {
        var precision = MatMulPrecision.Parse(precisionName, "precision");
        bool transposeA = layout[0] == 'T', transposeB = layout[1] == 'T';
        var rng = new Random(layout.GetHashCode(StringComparison.Ordinal) ^ (int)precision);
        foreach (var (m, n, k) in Shapes)
            foreach (var epilogue in Epilogues())
                Problem.Random(rng, transposeA, transposeB, m, n, k, epilogue)
                    .Check(Device, precision, $"{layout} {precisionName} m{m} n{n} k{k} {epilogue.Name}");
    }

    [GpuFact]
    public void Fp32_keeps_every_bit_that_tf32_and_bf16_round_away()
    {
        float fine = 1f + 1f / (1 << 20);
        Assert.Equal(fine, ProductOfOne(fine, Precision.Fp32));
        Assert.Equal(1f, ProductOfOne(fine, Precision.Tf32));
        Assert.Equal(1f, ProductOfOne(fine, Precision.Bf16));
        Assert.Equal(Precision.Fp32, MatMulPrecision.Current);
    }

    /// <summary>The 1 x 1 product value * 1 at <paramref name="precision"/>.</summary>
    private float ProductOfOne(float value, Precision precision)
    {
        using var scope = MatMulPrecision.Use(precision);
        var c = Tensor.Empty(DType.Float32, Device, 1, 1);
        Tensor.GemmInto(Tensor.FromArray([value], 1, 1).To(Device), false, Tensor.FromArray([1f], 1, 1).To(Device), false, c, GemmEpilogue.None);
        return c.ToArray()[0];
    }

    /// <summary>The epilogues under test: what each uses, and a name for messages.</summary>
    internal static IEnumerable<EpilogueCase> Epilogues() =>
    [
        new("plain", 1f, 0f, Bias: false, null, Residual: false, Product: false),
        new("bias", 1f, 0f, Bias: true, null, Residual: false, Product: false),
        new("bias+gelu-tanh keeping the product", 1f, 0f, Bias: true, GeluKind.Tanh, Residual: false, Product: true),
        new("gelu-erf", 1f, 0f, Bias: false, GeluKind.Erf, Residual: false, Product: false),
        new("0.5 product + c (accumulate) + bias + residual", 0.5f, 1f, Bias: true, null, Residual: true, Product: false),
        new("bias+gelu-tanh times a gate, keeping the product", 1f, 0f, Bias: true, GeluKind.Tanh, Residual: false, Product: true, Gate: true),
        new("gelu-erf times a gate", 1f, 0f, Bias: false, GeluKind.Erf, Residual: false, Product: false, Gate: true),
        new("bias times a gate, keeping the product", 1f, 0f, Bias: true, Activation: null, Residual: false, Product: true, Gate: true),
    ];

    internal static float[,] RandomMatrix(Random rng, int rows, int cols)
    {
        var values = new float[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                values[i, j] = (float)(2 * rng.NextDouble() - 1);
        return values;
    }

    private static Tensor ToTensor(float[,] values, Device device) =>
        Tensor.FromArray(values.Cast<float>().ToArray(), values.GetLength(0), values.GetLength(1)).To(device);

    internal sealed record EpilogueCase(string Name, float Alpha, float Beta, bool Bias, GeluKind? Activation, bool Residual, bool Product, bool Gate = false);

    /// <summary>One GEMM with its epilogue inputs: c's old contents, the bias (1, n) and the residual (also the gate of a gated case).</summary>
    internal sealed record Problem(float[,] A, bool TransposeA, float[,] B, bool TransposeB, int M, int N, int K,
        EpilogueCase Epilogue, float[,] OldC, float[,] Bias, float[,] Residual)
    {
        /// <summary>A problem of uniform values in [-1, 1): a and b stored as the layout says, then c's old contents, the bias and the residual.</summary>
        public static Problem Random(Random rng, bool transposeA, bool transposeB, int m, int n, int k, EpilogueCase epilogue)
        {
            var a = RandomMatrix(rng, transposeA ? k : m, transposeA ? m : k);
            var b = RandomMatrix(rng, transposeB ? n : k, transposeB ? k : n);
            return new Problem(a, transposeA, b, transposeB, m, n, k, epilogue, RandomMatrix(rng, m, n), RandomMatrix(rng, 1, n), RandomMatrix(rng, m, n));
        }

        public void Check(Device device, Precision precision, string what)
        {
            var c = ToTensor(OldC, device);
            var product = Epilogue.Product ? Tensor.Empty(DType.Float32, device, M, N) : null;
            var epilogue = new GemmEpilogue
            {
                Alpha = Epilogue.Alpha,
                Beta = Epilogue.Beta,
                Bias = Epilogue.Bias ? ToTensor(Bias, device).Reshape(N) : null,
                Activation = Epilogue.Activation,
                Residual = Epilogue.Residual ? ToTensor(Residual, device) : null,
                Gate = Epilogue.Gate ? ToTensor(Residual, device) : null,
                Product = product,
            };
            using (MatMulPrecision.Use(precision))
                Tensor.GemmInto(ToTensor(A, device), TransposeA, ToTensor(B, device), TransposeB, c, epilogue);
            var actualC = c.ToArray();
            var actualProduct = product?.ToArray();
            // Accumulation in fp32 (any order) against the reference with the same operand rounding; the rounding
            // itself, against the unrounded reference, within a few units of the precision's last bit per operand.
            double precisionUnit = precision switch { Precision.Tf32 => Math.Pow(2, -10), Precision.Bf16 => Math.Pow(2, -7), _ => 0 };
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++)
                {
                    var (_, exactC, scale) = Expected(i, j, Precision.Fp32);
                    var (z, expectedC, _) = Expected(i, j, precision);
                    double accumulation = 2e-5 * scale + 1e-6;
                    AssertNear(expectedC, actualC[i * N + j], accumulation, what, "c", i, j);
                    AssertNear(exactC, actualC[i * N + j], accumulation + 2 * precisionUnit * scale, what, "c (unrounded reference)", i, j);
                    if (actualProduct is not null) AssertNear(z, actualProduct[i * N + j], accumulation, what, "product", i, j);
                }
        }

        /// <summary>(z, c, scale) of element (i, j) in double, the operands rounded to <paramref name="precision"/>; scale bounds |terms|.</summary>
        private (double Z, double C, double Scale) Expected(int i, int j, Precision precision)
        {
            double sum = 0, magnitude = 0;
            for (int p = 0; p < K; p++)
            {
                double term = (double)ReferenceRounding.Operand(TransposeA ? A[p, i] : A[i, p], precision)
                    * ReferenceRounding.Operand(TransposeB ? B[j, p] : B[p, j], precision);
                sum += term;
                magnitude += Math.Abs(term);
            }
            double z = Epilogue.Alpha * sum + Epilogue.Beta * OldC[i, j];
            double y = z + (Epilogue.Bias ? Bias[0, j] : 0);
            y = Epilogue.Activation switch
            {
                GeluKind.Tanh => 0.5 * y * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (y + 0.044715 * y * y * y))),
                GeluKind.Erf => 0.5 * y * (1 + SpecialFunctions.Erf(y / Math.Sqrt(2))),
                _ => y,
            };
            y *= Epilogue.Gate ? Residual[i, j] : 1;
            y += Epilogue.Residual ? Residual[i, j] : 0;
            return (z, y, Math.Abs(Epilogue.Alpha) * magnitude + 3);
        }

        private static void AssertNear(double expected, float actual, double tolerance, string what, string output, int i, int j)
        {
            if (!(Math.Abs(actual - expected) <= tolerance))
                Assert.Fail($"{what}: {output}[{i},{j}] is {actual}, expected {expected} (tolerance {tolerance:g3})");
        }
    }
}

/// <summary>On the CPU backend (operands rounded before its fp32 GEMM for tf32 and bf16).</summary>
public sealed class GemmEpilogueCpuTests : GemmEpilogueTests;

/// <summary>On ILGPU's CPU accelerator: the SIMT kernel, in CI.</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class GemmEpilogueIlgpuCpuTests : GemmEpilogueTests;

/// <summary>On OpenCL: the SIMT kernel.</summary>
[GpuTarget(DeviceKind.OpenCL)]
public sealed class GemmEpilogueOpenClTests : GemmEpilogueTests;

/// <summary>On CUDA: tf32 and bf16 on tensor cores where the device has compute capability 8.0 or more.</summary>
[GpuTarget(DeviceKind.Cuda)]
public sealed class GemmEpilogueCudaTests : GemmEpilogueTests;

/// <summary>On ILGPU's CPU accelerator with tf32 and bf16 on the tensor-core kernel, its mma emulated, in CI.</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class GemmEpilogueEmulatedMmaTests(WideCpuAcceleratorEmulatingMma accelerator)
    : GemmEpilogueTests, IClassFixture<WideCpuAcceleratorEmulatingMma>
{
    /// <inheritdoc />
    protected override Device Device => accelerator.Device;
}
