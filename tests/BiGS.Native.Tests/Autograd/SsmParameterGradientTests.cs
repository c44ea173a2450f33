using BiGS.Native.Autograd;
using BiGS.Native.Tensors;
using BiGS.Native.Tests.Gpu;
using BiGS.Native.Tests.Kernels;

namespace BiGS.Native.Tests.Autograd;

/// <summary>
/// The S4D op writes the gradients of its five parameters (A_re, A_im, C, log_step, D) straight into their Grad. The
/// loss is linear in the kernel K and the skip D:
/// <code>
/// y = causal_conv(u, K) + D u          loss = sum(w * y)   (u, w fixed)
/// dD = sum(w * u)                       dK[l] = sum_{b,t>=l,h} w[b,t,h] u[b,t-l,h]
/// d loss / d theta = sum_l dK[l] dK_ref[l] / d theta   for theta in A_re, A_im, C, log_step
/// </code>
/// The reference differentiates the double-precision kernel of <see cref="SsmTestModel"/> by central differences.
/// Runs on the CPU and, through the subclasses, on each GPU backend.
/// </summary>
public abstract class SsmParameterGradientTests
{
    private const int Batch = 2, Length = 40, Channels = 3;

    /// <summary>The device under test.</summary>
    protected Device Device => TestDevices.For(GetType());

    [GpuFact]
    public void A_second_pass_adds_its_gradients_onto_the_first()
    {
        var model = new SsmModel(Device);
        var (first, second) = (new Pass(1), new Pass(2));

        model.Loss(first).Backward(); // beta 0: fresh gradients
        AssertGradients(model, first.ReferenceGradients(model));

        model.Loss(second).Backward(); // beta 1: onto the first pass's gradients
        AssertGradients(model, Sum(first.ReferenceGradients(model), second.ReferenceGradients(model)));
    }

    [GpuFact]
    public void A_gradient_held_by_one_kernel_parameter_only_is_added_onto_and_the_others_start_from_zero()
    {
        var model = new SsmModel(Device);
        var held = TestData.RandomTensor(7, model.AIm.Value.ShapeArray());
        model.AIm.EnsureGrad().CopyFrom(held.To(Device));
        var pass = new Pass(1);

        model.Loss(pass).Backward();

        var expected = pass.ReferenceGradients(model);
        var heldValues = held.ToArray();
        expected[1] = [.. expected[1].Select((g, i) => g + heldValues[i])];
        AssertGradients(model, expected);
    }

    [GpuFact]
    public void Each_S4D_parameter_is_reported_ready_once_per_pass_with_its_finished_gradient()
    {
        var model = new SsmModel(Device);
        for (int pass = 1; pass <= 2; pass++)
        {
            var seen = new List<(Variable Leaf, float[] GradWhenReady)>();
            var loss = model.Loss(new Pass(pass));
            loss.Backward(Tensor.Ones(loss.Value.ShapeArray()).To(Device), leafGradReady: leaf => seen.Add((leaf, leaf.Grad!.ToArray())));

            Assert.Equal(model.Parameters.Length, seen.Count);
            foreach (var parameter in model.Parameters) Assert.Single(seen, s => ReferenceEquals(s.Leaf, parameter));
            foreach (var (leaf, gradWhenReady) in seen) Assert.Equal(leaf.Grad!.ToArray(), gradWhenReady);
        }
    }

    private static void AssertGradients(SsmModel model, double[][] expected)
    {
        string[] names = ["dA_re", "dA_im", "dC", "dlog_step", "dD"];
        for (int i = 0; i < names.Length; i++)
            TestData.AssertClose(expected[i], model.Parameters[i].Grad!.ToArray(), 1e-4, 1e-4, names[i]);
    }

    private static double[][] Sum(double[][] a, double[][] b) =>
        [.. a.Select((values, i) => values.Select((v, j) => v + b[i][j]).ToArray())];

    /// <summary>One pass's fixed input u and loss weights w, drawn from <paramref name="seed"/>.</summary>
    private sealed class Pass(int seed)
    {
        public float[] U { get; } = FftTestSupport.RandomSignal(Batch * Length * Channels, 100 + seed);

        public float[] W { get; } = FftTestSupport.RandomSignal(Batch * Length * Channels, 200 + seed);

        /// <summary>dA_re, dA_im, dC, dlog_step and dD of this pass's loss, from the formulas in the class comment.</summary>
        public double[][] ReferenceGradients(SsmModel model)
        {
            var kernelGradient = KernelGradient();
            double[] aRe = Values(model.ARe), aIm = Values(model.AIm), c = Values(model.C), logStep = Values(model.LogStep);
            double G() => SsmTestModel.ReferenceKernel(aRe, aIm, c, logStep[0], Length).Select((k, l) => k * kernelGradient[l]).Sum();
            return [Central(aRe, G), Central(aIm, G), Central(c, G), Central(logStep, G), [U.Select((u, i) => (double)u * W[i]).Sum()]];
        }

        /// <summary>dK[l] = sum_{b,t>=l,h} w[b,t,h] u[b,t-l,h].</summary>
        private double[] KernelGradient()
        {
            var dK = new double[Length];
            for (int b = 0; b < Batch; b++)
                for (int t = 0; t < Length; t++)
                    for (int l = 0; l <= t; l++)
                        for (int h = 0; h < Channels; h++)
                            dK[l] += (double)W[(b * Length + t) * Channels + h] * U[(b * Length + t - l) * Channels + h];
            return dK;
        }

        /// <summary>dG/dvalues[i] for every i by central differences in double.</summary>
        private static double[] Central(double[] values, Func<double> g) =>
            [.. Enumerable.Range(0, values.Length).Select(i => FftTestSupport.CentralDifference(values, i, g))];

        private static double[] Values(Parameter parameter) => FftTestSupport.ToDouble(parameter.Value.ToArray());
    }

    /// <summary>One S4D layer's parameters on the device (one mode above the clip A_re &lt;= -1e-4), seeded.</summary>
    private sealed class SsmModel(Device device)
    {
        public Parameter ARe { get; } = On(device, "A_re", Tensor.FromArray([-0.5f, 0.2f, -0.3f, -0.8f]));

        public Parameter AIm { get; } = On(device, "A_im", Tensor.FromArray([0f, 1.5f, -3f, 6f]));

        public Parameter C { get; } = On(device, "C", TestData.RandomTensor(21, 4, 2));

        public Parameter LogStep { get; } = On(device, "log_step", Tensor.FromArray([MathF.Log(0.1f)]));

        public Parameter D { get; } = On(device, "D", Tensor.FromArray([0.7f]));

        /// <summary>In the order of <see cref="Ops.S4D"/>'s arguments.</summary>
        public Parameter[] Parameters => [ARe, AIm, C, LogStep, D];

        /// <summary>sum(w * S4D(u)) for the pass's u and w.</summary>
        public Variable Loss(Pass pass)
        {
            var u = new Variable(Tensor.FromArray(pass.U, Batch, Length, Channels).To(device));
            var w = new Variable(Tensor.FromArray(pass.W, Batch, Length, Channels).To(device));
            return Ops.SumAll(Ops.Mul(Ops.S4D(u, ARe, AIm, C, LogStep, D), w));
        }

        private static Parameter On(Device device, string name, Tensor value) => new(name, value.To(device));
    }
}

/// <summary>The S4D parameter gradient tests on the CPU backend.</summary>
public sealed class SsmParameterGradientCpuTests : SsmParameterGradientTests;

/// <summary>The S4D parameter gradient tests on ILGPU's CPU accelerator (the GPU kernels, everywhere).</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class SsmParameterGradientIlgpuCpuTests : SsmParameterGradientTests;

/// <summary>The S4D parameter gradient tests on an OpenCL device.</summary>
[GpuTarget(DeviceKind.OpenCL)]
public sealed class SsmParameterGradientOpenClTests : SsmParameterGradientTests;

/// <summary>The S4D parameter gradient tests on a CUDA device.</summary>
[GpuTarget(DeviceKind.Cuda)]
public sealed class SsmParameterGradientCudaTests : SsmParameterGradientTests;
