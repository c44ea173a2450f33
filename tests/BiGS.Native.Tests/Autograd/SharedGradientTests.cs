using BiGS.Native.Autograd;
using BiGS.Native.Tensors;
using BiGS.Native.Tests.Gpu;

namespace BiGS.Native.Tests.Autograd;

/// <summary>
/// A computed variable h used by several operations receives one gradient share from each, and the pass sums them in
/// place: a GEMM adds dx with beta 1, LayerNorm's backward adds its dx, a flip's share is added where it lies, a
/// residual's share is handed on. The block below gives h all four, as BiGS's pre-norm layer does:
/// <code>
/// h = x W0^T + b0
/// y = LayerNorm(h) W1^T + b1 + h  +  flip(flip(h) W2^T)  +  h W3^T
/// </code>
/// The reference dh is the sum, in double, of four passes that each give one use a fresh leaf holding h's value (the
/// other uses read it as a constant), so no pass sums anything; dx = dh W0 and dW0 = dh^T x are then formed here in
/// double. Runs on the CPU and, through the
/// subclasses, on each GPU backend.
/// </summary>
public abstract class SharedGradientTests
{
    private const int Batch = 2, Length = 5, Width = 6;

    /// <summary>The device under test.</summary>
    protected Device Device => TestDevices.For(GetType());

    [GpuFact]
    public void The_shares_of_a_variable_used_four_times_add_up_to_its_gradient()
    {
        var block = new Block(Device);
        var x = new Variable(TestData.RandomTensor(1, Batch, Length, Width).To(Device), requiresGrad: true);
        var weights = TestData.RandomTensor(2, Batch, Length, Width).To(Device);
        Ops.SumAll(Ops.Mul(block.Forward(x), new Variable(weights))).Backward();

        var dh = block.ReferenceGradientOfH(x.Value, weights);
        AssertInputGradients(block, x, dh);
    }

    [GpuFact]
    public void The_callers_output_gradient_is_read_but_never_written()
    {
        var block = new Block(Device);
        var x = new Variable(TestData.RandomTensor(1, Batch, Length, Width).To(Device), requiresGrad: true);
        var outputGrad = TestData.RandomTensor(2, Batch, Length, Width).To(Device);
        var given = outputGrad.ToArray();
        block.Forward(x).Backward(outputGrad); // the residual hands the caller's tensor on as h's first share

        Assert.Equal(given, outputGrad.ToArray());
        AssertInputGradients(block, x, block.ReferenceGradientOfH(x.Value, outputGrad));
    }

    /// <summary>dx = dh W0 and dW0 = dh^T x, in double, against what the pass wrote.</summary>
    private static void AssertInputGradients(Block block, Variable x, double[] dh)
    {
        var (xs, w0) = (x.Value.ToArray(), block.Weights[0].Value.ToArray());
        var (dx, dw0) = (new double[xs.Length], new double[w0.Length]);
        for (int row = 0; row < Batch * Length; row++)
            for (int o = 0; o < Width; o++)
                for (int i = 0; i < Width; i++)
                {
                    dx[row * Width + i] += dh[row * Width + o] * w0[o * Width + i];
                    dw0[o * Width + i] += dh[row * Width + o] * xs[row * Width + i];
                }
        TestData.AssertClose(dx, x.Grad!.ToArray(), 1e-4, 1e-4, "dx");
        TestData.AssertClose(dw0, block.Weights[0].Grad!.ToArray(), 1e-4, 1e-4, "dW0");
    }

    /// <summary>The four uses of h of the class comment, summed; use k reads <paramref name="hForUse"/>(k).</summary>
    internal static Variable Uses(Func<int, Variable> hForUse, Variable gamma, Variable beta, Variable w1, Variable b1, Variable w2, Variable w3)
    {
        var preNorm = Ops.LinearResidual(Ops.LayerNorm(hForUse(0), gamma, beta, 1e-5f), w1, b1, hForUse(1));
        var flipped = Ops.Flip(Ops.Linear(Ops.Flip(hForUse(2), 1), w2, null), 1);
        return Ops.Add(Ops.Add(preNorm, flipped), Ops.Linear(hForUse(3), w3, null));
    }

    /// <summary>The block of the class comment, with seeded weights.</summary>
    private sealed class Block(Device device)
    {
        public Parameter[] Weights { get; } = [.. Enumerable.Range(0, 4).Select(i => new Parameter($"w{i}", TestData.RandomTensor(10 + (ulong)i, Width, Width).To(device)))];

        private Parameter[] Biases { get; } = [.. Enumerable.Range(0, 2).Select(i => new Parameter($"b{i}", TestData.RandomTensor(20 + (ulong)i, Width).To(device)))];

        private Parameter Gamma { get; } = new("gamma", TestData.PositiveTensor(30, Width).To(device));

        private Parameter Beta { get; } = new("beta", TestData.RandomTensor(31, Width).To(device));

        public Variable Forward(Variable x)
        {
            var h = Ops.Linear(x, Weights[0], Biases[0]);
            return UsesOf(_ => h);
        }

        private Variable UsesOf(Func<int, Variable> hForUse) => Uses(hForUse, Gamma, Beta, Weights[1], Biases[1], Weights[2], Weights[3]);

        /// <summary>dh of sum(y * outputGrad): the sum of the four uses' shares, each from a pass of its own.</summary>
        public double[] ReferenceGradientOfH(Tensor x, Tensor outputGrad)
        {
            Tensor h;
            using (GradMode.NoGrad()) h = Ops.Linear(new Variable(x), Weights[0], Biases[0]).Value;
            var dh = new double[h.Count];
            for (int use = 0; use < 4; use++)
            {
                var (leaf, constant) = (new Variable(h, requiresGrad: true), new Variable(h));
                UsesOf(k => k == use ? leaf : constant).Backward(outputGrad); // adds to w1..w3's gradients too, which no test reads
                var share = leaf.Grad!.ToArray();
                for (int i = 0; i < dh.Length; i++) dh[i] += share[i];
            }
            return dh;
        }
    }
}

/// <summary>The shared-gradient tests on the CPU backend, with a central-difference check of the same block.</summary>
public sealed class SharedGradientCpuTests : SharedGradientTests
{
    [Fact]
    public void The_block_matches_central_differences()
    {
        const int width = 4;
        Tensor[] inputs =
        [
            TestData.RandomTensor(1, 2, 3, width), TestData.RandomTensor(2, width, width),
            TestData.PositiveTensor(3, width), TestData.RandomTensor(4, width), TestData.RandomTensor(5, width, width),
            TestData.RandomTensor(6, width), TestData.RandomTensor(7, width, width), TestData.RandomTensor(8, width, width),
        ];
        GradCheck.Assert(v =>
        {
            var h = Ops.Linear(v[0], v[1], null);
            return Uses(_ => h, v[2], v[3], v[4], v[5], v[6], v[7]);
        }, inputs);
    }
}

/// <summary>The shared-gradient tests on ILGPU's CPU accelerator (the GPU kernels, everywhere).</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class SharedGradientIlgpuCpuTests : SharedGradientTests;

/// <summary>The shared-gradient tests on a CUDA device.</summary>
[GpuTarget(DeviceKind.Cuda)]
public sealed class SharedGradientCudaTests : SharedGradientTests;
