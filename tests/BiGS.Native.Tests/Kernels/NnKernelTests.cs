using BiGS.Native.Kernels.Cpu;
using Xunit;
using static BiGS.Native.Tests.Kernels.KernelTestData;

namespace BiGS.Native.Tests.Kernels;

public class BiasGeluTests
{
    public static TheoryData<GeluKind, int, int> Cases() => new()
    {
        { GeluKind.Tanh, 1, 1 }, { GeluKind.Tanh, 3, 17 }, { GeluKind.Tanh, 2, 31 }, { GeluKind.Tanh, 3, 40 }, { GeluKind.Tanh, 255, 1000 },
        { GeluKind.Erf, 1, 1 }, { GeluKind.Erf, 3, 17 }, { GeluKind.Erf, 2, 31 }, { GeluKind.Erf, 3, 40 }, { GeluKind.Erf, 255, 1000 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_and_backward_match_reference(GeluKind kind, int rows, int cols)
    {
        var x = Uniform(rows, rows * cols, -5, 5);
        var bias = Uniform(cols, cols, -1, 1);
        var dy = Uniform(rows + cols, rows * cols, -1, 1);
        var y = new float[rows * cols];
        BiasGelu.Forward(kind, x, bias, rows, cols, y);
        var z = x.Select((v, k) => (double)(v + bias[k % cols])).ToArray(); // the pre-activation, rounded as the kernel does
        AssertClose(z.Select(v => GeluReference.Of(kind, (float)v)).ToArray(), y, 2e-6, 1e-12, $"{kind} forward");

        var dx = new float[rows * cols];
        var dbias = Uniform(7, cols, -1, 1);
        var expectedDbias = dbias.Select(v => (double)v).ToArray();
        var expectedDx = new double[rows * cols];
        for (int k = 0; k < expectedDx.Length; k++)
        {
            expectedDx[k] = dy[k] * GeluReference.DerivativeOf(kind, (float)z[k]);
            expectedDbias[k % cols] += expectedDx[k];
        }
        BiasGelu.Backward(kind, x, bias, dy, rows, cols, dx, dbias);
        AssertClose(expectedDx, dx, 1e-5, 1e-7, $"{kind} dx");
        AssertClose(expectedDbias, dbias, 1e-5, 1e-5, $"{kind} dbias");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gated_pair_forward_and_backward_match_reference(GeluKind kind, int rows, int cols)
    {
        var (a, g) = (Uniform(rows, rows * cols, -5, 5), Uniform(rows + 1, rows * cols, -5, 5));
        var (bias, gateBias) = (Uniform(cols, cols, -1, 1), Uniform(cols + 1, cols, -1, 1));
        var dy = Uniform(rows + cols, rows * cols, -1, 1);
        // the pre-activations, rounded as the kernels do
        var za = a.Select((v, k) => v + bias[k % cols]).ToArray();
        var zg = g.Select((v, k) => v + gateBias[k % cols]).ToArray();
        var gate = zg.Select(v => (float)GeluReference.Of(kind, v)).ToArray();
        var y = new float[rows * cols];
        BiasGelu.GatedForward(kind, a, bias, gate, rows, cols, y);
        AssertClose(za.Select((v, k) => GeluReference.Of(kind, v) * gate[k]).ToArray(), y, 2e-6, 1e-12, $"{kind} forward");

        var (da, dg) = (new float[rows * cols], new float[rows * cols]);
        var (dbias, dGateBias) = (Uniform(7, cols, -1, 1), Uniform(8, cols, -1, 1));
        var (expectedDbias, expectedDGateBias) = (dbias.Select(v => (double)v).ToArray(), dGateBias.Select(v => (double)v).ToArray());
        var (expectedDa, expectedDg) = (new double[rows * cols], new double[rows * cols]);
        for (int k = 0; k < expectedDa.Length; k++)
        {
            expectedDa[k] = dy[k] * GeluReference.Of(kind, zg[k]) * GeluReference.DerivativeOf(kind, za[k]);
            expectedDg[k] = dy[k] * GeluReference.Of(kind, za[k]) * GeluReference.DerivativeOf(kind, zg[k]);
            expectedDbias[k % cols] += expectedDa[k];
            expectedDGateBias[k % cols] += expectedDg[k];
        }
        BiasGelu.GatedPairBackward(kind, new GatedPair(a, bias, g, gateBias), dy, rows, cols, da, dg, dbias, dGateBias);
        AssertClose(expectedDa, da, 1e-5, 1e-6, $"{kind} da");
        AssertClose(expectedDg, dg, 1e-5, 1e-6, $"{kind} dg");
        // column sums of up to 255 float terms as large as 6 (gelu(5) gelu'(5)): float summation error ~1e-4
        AssertClose(expectedDbias, dbias, 1e-5, 2e-4, $"{kind} dbias");
        AssertClose(expectedDGateBias, dGateBias, 1e-5, 2e-4, $"{kind} dGateBias");
    }

    [Fact]
    public void Wrong_bias_length_throws()
    {
        var error = Assert.Throws<ArgumentException>(() => BiasGelu.Forward(GeluKind.Tanh, new float[6], new float[2], 2, 3, new float[6]));
        Assert.Contains("bias", error.Message);
    }
}

public class LayerNormKernelTests
{
    /// <summary>Double reference: returns y, mean, rstd.</summary>
    private static (double[] Y, double[] Mean, double[] Rstd) Reference(float[] x, float[] gamma, float[] beta, int rows, int cols, double eps)
    {
        var y = new double[rows * cols];
        var mean = new double[rows];
        var rstd = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            var row = x.Skip(r * cols).Take(cols).Select(v => (double)v).ToArray();
            mean[r] = row.Average();
            double variance = row.Select(v => (v - mean[r]) * (v - mean[r])).Average();
            rstd[r] = 1 / Math.Sqrt(variance + eps);
            for (int c = 0; c < cols; c++) y[r * cols + c] = (row[c] - mean[r]) * rstd[r] * gamma[c] + beta[c];
        }
        return (y, mean, rstd);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 17)]
    [InlineData(2, 31)]
    [InlineData(3, 40)]
    [InlineData(255, 1000)]
    public void Forward_and_backward_match_reference(int rows, int cols)
    {
        var x = Uniform(rows, rows * cols, -2, 2);
        var gamma = Uniform(cols, cols, 0.5, 1.5);
        var beta = Uniform(cols + 1, cols, -0.5, 0.5);
        var dy = Uniform(rows + 2, rows * cols, -1, 1);
        const float eps = 1e-5f;
        var (yRef, meanRef, rstdRef) = Reference(x, gamma, beta, rows, cols, eps);
        var y = new float[rows * cols];
        var mean = new float[rows];
        var rstd = new float[rows];
        LayerNormKernel.Forward(x, gamma, beta, rows, cols, eps, y, mean, rstd);
        AssertClose(yRef, y, 1e-5, 1e-5, "y");
        AssertClose(meanRef, mean, 1e-6, 1e-6, "mean");
        AssertClose(rstdRef, rstd, 1e-5, 0, "rstd");

        // Backward reference, straight from the formula in double.
        var dxRef = new double[rows * cols];
        var dgammaRef = new double[cols];
        var dbetaRef = new double[cols];
        for (int r = 0; r < rows; r++)
        {
            var xhat = Enumerable.Range(0, cols).Select(c => (x[r * cols + c] - meanRef[r]) * rstdRef[r]).ToArray();
            var dxhat = Enumerable.Range(0, cols).Select(c => (double)dy[r * cols + c] * gamma[c]).ToArray();
            double meanDxhat = dxhat.Average(), meanDxhatXhat = dxhat.Zip(xhat, (a, b) => a * b).Average();
            for (int c = 0; c < cols; c++)
            {
                dxRef[r * cols + c] = rstdRef[r] * (dxhat[c] - meanDxhat - xhat[c] * meanDxhatXhat);
                dgammaRef[c] += dy[r * cols + c] * xhat[c];
                dbetaRef[c] += dy[r * cols + c];
            }
        }
        var dx = new float[rows * cols];
        var dgamma = new float[cols];
        var dbeta = Enumerable.Repeat(1f, cols).ToArray(); // accumulates onto 1
        LayerNormKernel.Backward(x, gamma, mean, rstd, dy, rows, cols, dx, accumulateDx: false, dgamma, dbeta);
        AssertClose(dxRef, dx, 1e-4, 1e-5, "dx");
        AssertClose(dgammaRef, dgamma, 1e-5, 1e-4, "dgamma");
        AssertClose(dbetaRef.Select(v => v + 1).ToArray(), dbeta, 1e-5, 1e-4, "dbeta");

        LayerNormKernel.Backward(x, gamma, mean, rstd, dy, rows, cols, dx, accumulateDx: true, dgamma, dbeta);
        AssertClose(dxRef.Select(v => 2 * v).ToArray(), dx, 2e-4, 1e-5, "dx added onto the first");
    }

    [Fact]
    public void Large_mean_with_small_spread_keeps_precision()
    {
        // |x| ~ 1e3 with standard deviation ~ 1e-2: the centring must not lose the spread.
        int cols = 1000;
        var x = Uniform(3, cols, -0.02, 0.02).Select(v => 1000f + v).ToArray();
        var gamma = Enumerable.Repeat(1f, cols).ToArray();
        var beta = new float[cols];
        var (yRef, _, _) = Reference(x, gamma, beta, 1, cols, 1e-12);
        var y = new float[cols];
        LayerNormKernel.Forward(x, gamma, beta, 1, cols, 1e-12f, y, new float[1], new float[1]);
        AssertClose(yRef, y, 1e-4, 1e-4, "normalised");
    }

    [Fact]
    public void Wrong_sizes_throw()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            LayerNormKernel.Forward(new float[6], new float[3], new float[2], 2, 3, 1e-5f, new float[6], new float[2], new float[2]));
        Assert.Contains("beta", error.Message);
    }
}

public class SoftmaxKernelTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 17)]
    [InlineData(2, 31)]
    [InlineData(3, 40)]
    [InlineData(255, 1000)]
    public void Softmax_and_log_softmax_with_backwards_match_reference(int rows, int cols)
    {
        var x = Uniform(rows, rows * cols, -30, 30);
        x[0] = 80; // would overflow exp without the max subtraction
        var dy = Uniform(cols, rows * cols, -1, 1);
        var p = new double[rows * cols];
        var logP = new double[rows * cols];
        var dxSoftmax = new double[rows * cols];
        var dxLog = new double[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            var row = x.Skip(r * cols).Take(cols).Select(v => (double)v).ToArray();
            double max = row.Max(), lse = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
            for (int c = 0; c < cols; c++) { logP[r * cols + c] = row[c] - lse; p[r * cols + c] = Math.Exp(row[c] - lse); }
            double dot = 0, sumDy = 0;
            for (int c = 0; c < cols; c++) { dot += dy[r * cols + c] * p[r * cols + c]; sumDy += dy[r * cols + c]; }
            for (int c = 0; c < cols; c++)
            {
                dxSoftmax[r * cols + c] = p[r * cols + c] * (dy[r * cols + c] - dot);
                dxLog[r * cols + c] = dy[r * cols + c] - p[r * cols + c] * sumDy;
            }
        }
        var y = new float[rows * cols];
        var dx = new float[rows * cols];
        SoftmaxKernel.Softmax(x, rows, cols, y);
        AssertClose(p, y, 1e-5, 1e-30, "softmax");
        SoftmaxKernel.SoftmaxBackward(y, dy, rows, cols, dx);
        AssertClose(dxSoftmax, dx, 1e-4, 1e-7, "softmax backward");
        SoftmaxKernel.LogSoftmax(x, rows, cols, y);
        AssertClose(logP, y, 1e-6, 1e-5, "log-softmax");
        SoftmaxKernel.LogSoftmaxBackward(y, dy, rows, cols, dx);
        AssertClose(dxLog, dx, 1e-4, 1e-5, "log-softmax backward");
    }

    [Fact]
    public void Wrong_sizes_throw() =>
        Assert.Throws<ArgumentException>(() => SoftmaxKernel.Softmax(new float[6], 2, 4, new float[8]));
}

public class CrossEntropyKernelTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 17)]
    [InlineData(2, 31)]
    [InlineData(3, 40)]
    [InlineData(255, 1000)]
    public void Loss_and_gradient_match_reference_with_ignored_rows(int rows, int cols)
    {
        var logits = Uniform(rows, rows * cols, -10, 10);
        var labels = Integers(cols, rows, 0, cols);
        for (int r = 1; r < rows; r += 3) labels[r] = -100; // ignored
        double total = 0;
        int used = 0;
        var expectedGradient = new double[rows * cols];
        const float scale = 0.25f;
        for (int r = 0; r < rows; r++)
        {
            if (labels[r] == -100) continue;
            var row = logits.Skip(r * cols).Take(cols).Select(v => (double)v).ToArray();
            double max = row.Max(), lse = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
            total += lse - row[labels[r]];
            used++;
            for (int c = 0; c < cols; c++)
                expectedGradient[r * cols + c] = scale * (Math.Exp(row[c] - lse) - (c == labels[r] ? 1 : 0));
        }
        var logSumExp = new float[rows];
        float loss = CrossEntropyKernel.Forward(logits, labels, rows, cols, -100, logSumExp, out int count);
        Assert.Equal(used, count);
        AssertClose(total / used, loss, 1e-5, 1e-6, "loss");
        var gradient = Enumerable.Repeat(9f, rows * cols).ToArray(); // overwritten, including ignored rows
        CrossEntropyKernel.Backward(logits, labels, logSumExp, rows, cols, -100, scale, gradient);
        AssertClose(expectedGradient, gradient, 1e-5, 1e-7, "dlogits");
    }

    [Fact]
    public void All_rows_ignored_gives_zero_loss_and_count()
    {
        var logits = Uniform(1, 12, -1, 1);
        float loss = CrossEntropyKernel.Forward(logits, [-100, -100, -100], 3, 4, -100, new float[3], out int count);
        Assert.Equal(0f, loss);
        Assert.Equal(0, count);
        var gradient = Enumerable.Repeat(1f, 12).ToArray();
        CrossEntropyKernel.Backward(logits, [-100, -100, -100], new float[3], 3, 4, -100, 1f, gradient);
        Assert.All(gradient, g => Assert.Equal(0f, g));
    }

    [Fact]
    public void Label_out_of_range_throws_naming_row_and_label()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            CrossEntropyKernel.Forward(new float[12], [1, 4, 0], 3, 4, -100, new float[3], out _));
        Assert.Contains("row 1", error.Message);
        Assert.Contains("label 4", error.Message);
    }
}

public class EmbeddingKernelTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(17, 3, 255)]
    [InlineData(1000, 64, 4099)]
    public void Gather_and_scatter_add_match_reference(int vocab, int dim, int count)
    {
        var table = Uniform(vocab, vocab * dim, -1, 1);
        var ids = Integers(count, count, 0, vocab);
        var y = new float[count * dim];
        EmbeddingKernel.Gather(table, vocab, dim, ids, y);
        for (int i = 0; i < count; i++)
            Assert.Equal(table.AsSpan(ids[i] * dim, dim).ToArray(), y.AsSpan(i * dim, dim).ToArray());

        var dy = Uniform(dim, count * dim, -1, 1);
        var expected = table.Select(v => (double)v).ToArray();
        for (int i = 0; i < count; i++)
            for (int d = 0; d < dim; d++) expected[ids[i] * dim + d] += dy[i * dim + d];
        var dtable = (float[])table.Clone();
        EmbeddingKernel.ScatterAdd(dy, ids, vocab, dim, dtable);
        AssertClose(expected, dtable, 1e-5, 1e-5, "scatter-add");
    }

    [Fact]
    public void ScatterAdd_is_identical_whatever_the_thread_count()
    {
        int vocab = 50, dim = 768, count = 4096;
        var ids = Integers(1, count, 0, vocab);
        var dy = Uniform(2, count * dim, -1, 1);
        var single = new float[vocab * dim];
        var multi = new float[vocab * dim];
        int threads = CpuParallel.ThreadCount;
        try
        {
            CpuParallel.ThreadCount = 1;
            EmbeddingKernel.ScatterAdd(dy, ids, vocab, dim, single);
            CpuParallel.ThreadCount = 3;
            EmbeddingKernel.ScatterAdd(dy, ids, vocab, dim, multi);
        }
        finally
        {
            CpuParallel.ThreadCount = threads;
        }
        Assert.Equal(single, multi);
    }

    [Fact]
    public void Id_out_of_range_throws_naming_position_and_id()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingKernel.Gather(new float[8], 4, 2, [0, 3, 4], new float[6]));
        Assert.Contains("position 2", error.Message);
        Assert.Contains("id 4", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingKernel.ScatterAdd(new float[2], [-1], 4, 2, new float[8]));
    }
}

public class AdamWKernelTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(17)]
    [InlineData(31)]
    [InlineData(40)]
    [InlineData(70001)]
    public void Three_steps_match_reference(int n)
    {
        var param = Uniform(n, n, -1, 1);
        var m = new float[n];
        var v = new float[n];
        var p = param.Select(x => (double)x).ToArray();
        var mRef = new double[n];
        var vRef = new double[n];
        // The hyper-parameters as the kernel sees them (float), evaluated in double.
        const double lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-6f, wd = 0.01f;
        for (int t = 1; t <= 3; t++)
        {
            var g = Uniform(n + t, n, -1, 1);
            for (int i = 0; i < n; i++)
            {
                mRef[i] = b1 * mRef[i] + (1 - b1) * g[i];
                vRef[i] = b2 * vRef[i] + (1 - b2) * g[i] * g[i];
                double mhat = mRef[i] / (1 - Math.Pow(b1, t)), vhat = vRef[i] / (1 - Math.Pow(b2, t));
                p[i] -= lr * (mhat / (Math.Sqrt(vhat) + eps) + wd * p[i]);
            }
            AdamWKernel.Step(param, g, m, v, (float)lr, (float)b1, (float)b2, (float)eps, (float)wd, t);
        }
        AssertClose(mRef, m, 1e-5, 1e-7, "m");
        AssertClose(vRef, v, 1e-5, 1e-9, "v");
        AssertClose(p, param, 1e-6, 1e-7, "param");
    }

    [Fact]
    public void Step_zero_and_size_mismatch_throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AdamWKernel.Step(new float[2], new float[2], new float[2], new float[2], 1, 0.9f, 0.99f, 1e-8f, 0, 0));
        Assert.Throws<ArgumentException>(() => AdamWKernel.Step(new float[2], new float[3], new float[2], new float[2], 1, 0.9f, 0.99f, 1e-8f, 0, 1));
    }
}
