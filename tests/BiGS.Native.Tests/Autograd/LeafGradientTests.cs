using BiGS.Native.Autograd;
using BiGS.Native.Tensors;
using BiGS.Native.Tests.Gpu;

namespace BiGS.Native.Tests.Autograd;

/// <summary>
/// Leaf gradients are written by the backward ops straight into Grad (GEMM with beta 0 or 1, scatter-add, accumulating
/// reductions). A toy language model ties its decoder to its embedding table E, so E receives two writes per pass:
/// <code>
/// h = E[ids]          logits = h E^T + bias          loss = sum(logits * w)   (w fixed)
/// </code>
/// The reference gradients are computed here in double from the formulas:
/// dlogits = w; dE = dlogits^T h (decoder) + scatter of dh = dlogits E into the rows named by ids; dbias = column sums.
/// Runs on the CPU and, through the subclasses, on each GPU backend.
/// </summary>
public abstract class LeafGradientTests
{
    private const int Vocab = 7, Width = 5;
    private static readonly int[] Ids = [1, 3, 1, 6, 0, 3];

    /// <summary>The device under test.</summary>
    protected Device Device => TestDevices.For(GetType());

    [GpuFact]
    public void A_tied_weight_receives_the_decoder_product_and_the_embedding_scatter_and_both_accumulate()
    {
        var model = new TiedModel(Device);
        model.Loss(0, Ids.Length).Backward();
        AssertGradients(model, ReferenceGradients(model, 0, Ids.Length), times: 1);

        model.Loss(0, Ids.Length).Backward(); // a second pass accumulates (GEMM with beta 1, scatter-add onto Grad)
        AssertGradients(model, ReferenceGradients(model, 0, Ids.Length), times: 2);
    }

    [GpuFact]
    public void Micro_batch_gradients_add_up_to_the_whole_batch()
    {
        var whole = new TiedModel(Device);
        whole.Loss(0, Ids.Length).Backward();
        var split = new TiedModel(Device);
        split.Loss(0, 2).Backward();
        split.Loss(2, Ids.Length).Backward();

        TestData.AssertClose(whole.Table.Grad!.ToArray(), split.Table.Grad!.ToArray(), 1e-5, 1e-5, "dE");
        TestData.AssertClose(whole.Bias.Grad!.ToArray(), split.Bias.Grad!.ToArray(), 1e-5, 1e-5, "dbias");
    }

    [GpuFact]
    public void Each_leaf_is_reported_ready_once_per_pass_after_its_last_writer()
    {
        var model = new TiedModel(Device);
        for (int pass = 1; pass <= 2; pass++)
        {
            var seen = new List<(Variable Leaf, float[] GradWhenReady)>();
            var loss = model.Loss(0, Ids.Length);
            loss.Backward(Tensor.Ones(loss.Value.ShapeArray()).To(Device), leafGradReady: leaf => seen.Add((leaf, leaf.Grad!.ToArray())));

            Assert.Equal(2, seen.Count);
            Assert.Single(seen, s => ReferenceEquals(s.Leaf, model.Table));
            Assert.Single(seen, s => ReferenceEquals(s.Leaf, model.Bias));
            // what was reported is the finished gradient: both of E's writers had written
            foreach (var (leaf, gradWhenReady) in seen) Assert.Equal(leaf.Grad!.ToArray(), gradWhenReady);
            AssertGradients(model, ReferenceGradients(model, 0, Ids.Length), times: pass);
        }
    }

    [GpuFact]
    public void After_ZeroGrad_a_pass_gives_the_gradient_of_a_fresh_one()
    {
        var reused = new TiedModel(Device);
        reused.Loss(0, Ids.Length).Backward();
        reused.Loss(0, 3).Backward();
        reused.Table.ZeroGrad();
        reused.Bias.ZeroGrad();
        reused.Loss(0, Ids.Length).Backward(); // writes onto zeroed buffers with beta 1

        var fresh = new TiedModel(Device);
        fresh.Loss(0, Ids.Length).Backward(); // writes into new buffers with beta 0
        Assert.Equal(fresh.Table.Grad!.ToArray(), reused.Table.Grad!.ToArray());
        Assert.Equal(fresh.Bias.Grad!.ToArray(), reused.Bias.Grad!.ToArray());
    }

    private static void AssertGradients(TiedModel model, (double[] Table, double[] Bias) reference, int times)
    {
        TestData.AssertClose(reference.Table.Select(v => times * v).ToArray(), model.Table.Grad!.ToArray(), 1e-5, 1e-5, "dE");
        TestData.AssertClose(reference.Bias.Select(v => times * v).ToArray(), model.Bias.Grad!.ToArray(), 1e-5, 1e-5, "dbias");
    }

    /// <summary>dE and dbias of the loss over rows [first, end), from the formulas in the class comment.</summary>
    private static (double[] Table, double[] Bias) ReferenceGradients(TiedModel model, int first, int end)
    {
        var e = model.Table.Value.ToArray();
        var w = model.OutputWeights.ToArray();
        var (dTable, dBias) = (new double[Vocab * Width], new double[Vocab]);
        for (int r = first; r < end; r++)
        {
            int id = Ids[r];
            for (int v = 0; v < Vocab; v++)
            {
                double dLogit = w[r * Vocab + v];
                dBias[v] += dLogit;
                for (int j = 0; j < Width; j++)
                {
                    dTable[v * Width + j] += dLogit * e[id * Width + j]; // decoder: dlogits^T h, h[r] = E[id]
                    dTable[id * Width + j] += dLogit * e[v * Width + j]; // embedding: dh[r] = dlogits[r] E, scattered
                }
            }
        }
        return (dTable, dBias);
    }

    /// <summary>The toy model of the class comment, with seeded values.</summary>
    private sealed class TiedModel(Device device)
    {
        public Parameter Table { get; } = new("table", TestData.RandomTensor(11, Vocab, Width).To(device));

        public Parameter Bias { get; } = new("bias", TestData.RandomTensor(12, Vocab).To(device));

        /// <summary>w, the fixed weights of the logits in the loss.</summary>
        public Tensor OutputWeights { get; } = TestData.RandomTensor(13, Ids.Length, Vocab).To(device);

        /// <summary>The loss over rows [first, end) of the ids.</summary>
        public Variable Loss(int first, int end)
        {
            var ids = Tensor.FromInts(Ids[first..end], end - first);
            var logits = Ops.Linear(Ops.Embedding(Table, ids), Table, Bias);
            var weights = OutputWeights.Slice(0, first, end - first);
            return Ops.SumAll(Ops.Mul(logits, new Variable(weights)));
        }
    }
}

/// <summary>The leaf gradient tests on the CPU backend.</summary>
public sealed class LeafGradientCpuTests : LeafGradientTests;

/// <summary>The leaf gradient tests on ILGPU's CPU accelerator (the GPU kernels, everywhere).</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class LeafGradientIlgpuCpuTests : LeafGradientTests;

/// <summary>The leaf gradient tests on an OpenCL device.</summary>
[GpuTarget(DeviceKind.OpenCL)]
public sealed class LeafGradientOpenClTests : LeafGradientTests;

/// <summary>The leaf gradient tests on a CUDA device.</summary>
[GpuTarget(DeviceKind.Cuda)]
public sealed class LeafGradientCudaTests : LeafGradientTests;
