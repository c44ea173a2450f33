using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Tensors;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>Fused bias+GELU, LayerNorm, softmax, cross-entropy, embeddings and AdamW, forward and backward.</summary>
public abstract class NNParityTests : GpuParityTests
{
    [GpuFact]
    public void BiasGeluBothKinds()
    {
        foreach (var kind in Enum.GetValues<GeluKind>())
        {
            var x = Random(17, 255);
            var bias = Random(255);
            var dy = Random(17, 255);
            AssertClose(Tensor.BiasGelu(kind, x, bias), Tensor.BiasGelu(kind, OnGpu(x), OnGpu(bias)), 2e-5f, 2e-4f, kind.ToString());
            var dbias = Random(255);
            var gdbias = OnGpu(dbias);
            var dx = Tensor.BiasGeluBackward(kind, x, bias, dy, dbias);
            var gdx = Tensor.BiasGeluBackward(kind, OnGpu(x), OnGpu(bias), OnGpu(dy), gdbias);
            AssertClose(dx, gdx, 2e-5f, 2e-4f, $"{kind} dx");
            AssertClose(dbias, gdbias, 1e-4f, 2e-4f, $"{kind} dbias");
        }
    }

    [GpuFact]
    public void GatedGeluPairBackwardBothKinds()
    {
        foreach (var kind in Enum.GetValues<GeluKind>())
        {
            var (a, g, dy) = (Random(17, 255), Random(17, 255), Random(17, 255));
            var (bias, gateBias, dbias, dGateBias) = (Random(255), Random(255), Random(255), Random(255));
            var (gdbias, gdGateBias) = (OnGpu(dbias), OnGpu(dGateBias));
            var (da, dg) = Tensor.GatedGeluBackward(kind, a, bias, g, gateBias, dy, dbias, dGateBias);
            var (gda, gdg) = Tensor.GatedGeluBackward(kind, OnGpu(a), OnGpu(bias), OnGpu(g), OnGpu(gateBias), OnGpu(dy), gdbias, gdGateBias);
            AssertClose(da, gda, 2e-5f, 2e-4f, $"{kind} da");
            AssertClose(dg, gdg, 2e-5f, 2e-4f, $"{kind} dg");
            AssertClose(dbias, gdbias, 1e-4f, 2e-4f, $"{kind} dbias");
            AssertClose(dGateBias, gdGateBias, 1e-4f, 2e-4f, $"{kind} dGateBias");
        }
    }

    /// <summary>
    /// Shapes around the column tiles' edges (<c>ColumnTileKernels</c>: 32 columns by 128 rows on a GPU, 2 by 16 on
    /// ILGPU's CPU accelerator): one element, one row, a partial last chunk and column block, several of each.
    /// </summary>
    public static readonly (int Rows, int Cols)[] TileEdgeShapes = [(1, 1), (1, 33), (16, 2), (129, 64), (300, 33)];

    [GpuFact]
    public void FusedBiasBackwardsAtTileEdges()
    {
        foreach (var (rows, cols) in TileEdgeShapes)
        {
            var (x, g, dy) = (Random(rows, cols), Random(rows, cols), Random(rows, cols));
            var (bias, gateBias, dbias, dGateBias) = (Random(cols), Random(cols), Random(cols), Random(cols));
            string shape = $"{rows}x{cols}";

            var (gdbias, gdGateBias) = (OnGpu(dbias), OnGpu(dGateBias));
            var dx = Tensor.BiasGeluBackward(GeluKind.Tanh, x, bias, dy, dbias);
            AssertClose(dx, Tensor.BiasGeluBackward(GeluKind.Tanh, OnGpu(x), OnGpu(bias), OnGpu(dy), gdbias), 2e-5f, 2e-4f, $"gelu dx {shape}");
            AssertClose(dbias, gdbias, 1e-4f, 2e-4f, $"gelu dbias {shape}");

            var (dz, dGate) = Tensor.BiasProductBackward(x, bias, g, dy, dbias);
            var (gdz, gdGate) = Tensor.BiasProductBackward(OnGpu(x), OnGpu(bias), OnGpu(g), OnGpu(dy), gdbias);
            AssertClose(dz, gdz, 1e-6f, 1e-5f, $"product dz {shape}");
            AssertClose(dGate, gdGate, 1e-6f, 1e-5f, $"product dGate {shape}");
            AssertClose(dbias, gdbias, 1e-4f, 2e-4f, $"product dbias {shape}");

            var (da, dg) = Tensor.GatedGeluBackward(GeluKind.Erf, x, bias, g, gateBias, dy, dbias, dGateBias);
            var (gda, gdg) = Tensor.GatedGeluBackward(GeluKind.Erf, OnGpu(x), OnGpu(bias), OnGpu(g), OnGpu(gateBias), OnGpu(dy), gdbias, gdGateBias);
            AssertClose(da, gda, 2e-5f, 2e-4f, $"gated da {shape}");
            AssertClose(dg, gdg, 2e-5f, 2e-4f, $"gated dg {shape}");
            AssertClose(dbias, gdbias, 1e-4f, 2e-4f, $"gated dbias {shape}");
            AssertClose(dGateBias, gdGateBias, 1e-4f, 2e-4f, $"gated dGateBias {shape}");

            var (dgamma, dbeta, gdgamma, gdbeta) = (Tensor.Zeros(cols), Tensor.Zeros(cols), Tensor.Zeros(Gpu, cols), Tensor.Zeros(Gpu, cols));
            var (_, stats) = Tensor.LayerNorm(x, bias, gateBias, 1e-5f);
            var (_, gstats) = Tensor.LayerNorm(OnGpu(x), OnGpu(bias), OnGpu(gateBias), 1e-5f);
            Tensor.LayerNormBackward(x, bias, stats, dy, dgamma, dbeta);
            Tensor.LayerNormBackward(OnGpu(x), OnGpu(bias), gstats, OnGpu(dy), gdgamma, gdbeta);
            AssertClose(dgamma, gdgamma, 1e-4f, 2e-4f, $"layernorm dgamma {shape}");
            AssertClose(dbeta, gdbeta, 1e-4f, 2e-4f, $"layernorm dbeta {shape}");
        }
    }

    /// <summary>
    /// The column sums are completed by whichever group of a column block finishes last, which varies from run to run;
    /// they add the chunks' partials in a fixed order all the same, so repeated runs agree to the bit.
    /// </summary>
    [GpuFact]
    public void ColumnTileSumsAreDeterministic()
    {
        var (a, g, dy) = (OnGpu(Random(300, 33)), OnGpu(Random(300, 33)), OnGpu(Random(300, 33)));
        var (bias, gateBias) = (OnGpu(Random(33)), OnGpu(Random(33)));
        float[] BiasGradients()
        {
            var (dbias, dGateBias) = (Tensor.Zeros(Gpu, 33), Tensor.Zeros(Gpu, 33));
            Tensor.GatedGeluBackward(GeluKind.Tanh, a, bias, g, gateBias, dy, dbias, dGateBias);
            return [.. dbias.ToArray(), .. dGateBias.ToArray()];
        }
        var first = BiasGradients();
        for (int run = 0; run < 8; run++) Assert.Equal(first, BiasGradients());
    }

    [GpuFact]
    public void LayerNormForwardAndBackward()
    {
        foreach (int cols in new[] { 1, 3, 255, 1000 })
        {
            var x = Random(17, cols);
            var gamma = Random(cols);
            var beta = Random(cols);
            var dy = Random(17, cols);
            var (y, stats) = Tensor.LayerNorm(x, gamma, beta, 1e-5f);
            var (gy, gstats) = Tensor.LayerNorm(OnGpu(x), OnGpu(gamma), OnGpu(beta), 1e-5f);
            AssertClose(y, gy, 1e-4f, 1e-4f, $"y cols {cols}");
            AssertClose(stats.Rstd, gstats.Rstd, 1e-4f, 1e-4f, "rstd");
            var dgamma = Tensor.Zeros(cols);
            var dbeta = Tensor.Zeros(cols);
            var gdgamma = Tensor.Zeros(Gpu, cols);
            var gdbeta = Tensor.Zeros(Gpu, cols);
            var dx = Tensor.LayerNormBackward(x, gamma, stats, dy, dgamma, dbeta);
            var gdx = Tensor.LayerNormBackward(OnGpu(x), OnGpu(gamma), gstats, OnGpu(dy), gdgamma, gdbeta);
            AssertClose(dx, gdx, 2e-4f, 1e-3f, $"dx cols {cols}");
            AssertClose(dgamma, gdgamma, 1e-4f, 1e-4f, "dgamma");
            AssertClose(dbeta, gdbeta, 1e-4f, 1e-4f, "dbeta");
            var prior = Random(17, cols); // a share of dx already there, which the backward adds onto
            var gdxOntoPrior = OnGpu(prior);
            Tensor.LayerNormBackwardInto(OnGpu(x), OnGpu(gamma), gstats, OnGpu(dy), gdxOntoPrior, accumulateDx: true, gdgamma, gdbeta);
            AssertClose(prior + dx, gdxOntoPrior, 2e-4f, 1e-3f, $"dx added onto a prior share, cols {cols}");
        }
    }

    [GpuFact]
    public void SoftmaxAndLogSoftmax()
    {
        foreach (bool log in new[] { false, true })
            foreach (int cols in new[] { 1, 17, 1000 })
            {
                var x = Random(3, cols) * 3f;
                var dy = Random(3, cols);
                var y = Tensor.Softmax(x, log);
                var gy = Tensor.Softmax(OnGpu(x), log);
                AssertClose(y, gy, 1e-5f, 1e-4f, $"log {log} cols {cols}");
                AssertClose(Tensor.SoftmaxBackward(y, dy, log), Tensor.SoftmaxBackward(gy, OnGpu(dy), log), 1e-5f, 1e-4f, "backward");
            }
    }

    [GpuFact]
    public void CrossEntropyWithIgnoredRows()
    {
        var logits = Random(17, 255) * 2f;
        var labels = Tensor.FromInts(Enumerable.Range(0, 17).Select(i => i % 5 == 0 ? -100 : (i * 37) % 255).ToArray(), 17);
        var (loss, lse, count) = Tensor.CrossEntropy(logits, labels);
        var (gloss, glse, gcount) = Tensor.CrossEntropy(OnGpu(logits), labels.To(Gpu));
        Assert.Equal(13f, count.Item());
        Assert.Equal(count.Item(), gcount.Item());
        Assert.Equal(loss.Item(), gloss.Item(), 1e-4f);
        AssertClose(lse, glse, 1e-5f, 1e-5f, "logSumExp");
        var scale = Tensor.Full(1f / 13, 1);
        var dlogits = Tensor.CrossEntropyBackward(logits, labels, lse, -100, scale);
        var gdlogits = Tensor.CrossEntropyBackward(OnGpu(logits), labels.To(Gpu), glse, -100, OnGpu(scale));
        AssertClose(dlogits, gdlogits, 1e-6f, 1e-4f, "dlogits");
    }

    [GpuFact]
    public void EmbeddingGatherAndDeterministicScatterAdd()
    {
        var table = Random(17, 5);
        var ids = Tensor.FromInts([3, 0, 16, 3, 3, 7, 0, 16], 2, 4);
        var gtable = OnGpu(table);
        AssertClose(Tensor.Embedding(table, ids), Tensor.Embedding(gtable, ids.To(Gpu)));
        var dy = Random(2, 4, 5);
        var dtable = Random(17, 5);
        var gdtable = OnGpu(dtable);
        Tensor.EmbeddingBackward(dy, ids, dtable);
        Tensor.EmbeddingBackward(OnGpu(dy), ids.To(Gpu), gdtable);
        AssertClose(dtable, gdtable);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Embedding(gtable, Tensor.FromInts([0, 17], 2).To(Gpu)).ToArray());
        Assert.Contains("id 17 at position 1", error.Message);
    }

    [GpuFact]
    public void AdamWSteps()
    {
        var p = Random(1000);
        var m = Tensor.Zeros(1000);
        var v = Tensor.Zeros(1000);
        var (gp, gm, gv) = (OnGpu(p), OnGpu(m), OnGpu(v));
        for (int step = 1; step <= 3; step++)
        {
            var grad = Random(1000);
            Tensor.AdamWStep(p, grad, m, v, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, step);
            Tensor.AdamWStep(gp, OnGpu(grad), gm, gv, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, step);
        }
        AssertClose(p, gp, 1e-5f, 1e-4f, "param");
        AssertClose(m, gm, 1e-6f, 1e-4f, "m");
        AssertClose(v, gv, 1e-6f, 1e-4f, "v");
    }
}

/// <summary>NN kernel parity on ILGPU's CPU accelerator (every kernel, in CI).</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class NNIlgpuCpuTests : NNParityTests;

/// <summary>NN kernel parity on OpenCL.</summary>
[GpuTarget(DeviceKind.OpenCL)]
public sealed class NNOpenClTests : NNParityTests;

/// <summary>NN kernel parity on CUDA.</summary>
[GpuTarget(DeviceKind.Cuda)]
public sealed class NNCudaTests : NNParityTests;
