using BiGS.Native.Autograd;
using BiGS.Native.Tensors;
using BiGS.Native.Tests.Gpu;

namespace BiGS.Native.Tests.Autograd;

/// <summary>
/// Cross-entropy whose backward writes d loss / d logits over the logits (one logits-sized buffer): the same gradients
/// as the usual backward, reaching the logits' producer in the logits' own memory.
/// </summary>
public abstract class CrossEntropyOverLogitsTests
{
    private Device Device => TestDevices.For(GetType());

    /// <summary>
    /// logits = 1.5 x (an operation, so the logits are not a leaf), whose backward records a copy of the dlogits it gets
    /// and their storage (the backward frees them afterwards).
    /// </summary>
    private static Variable ScaledSpy(Variable x, Seen seen) =>
        Ops.Record("ScaledSpy", x.Value * 1.5f, [x], dlogits =>
        {
            seen.Values = dlogits.ToArray();
            seen.Storage = dlogits.Storage;
            return [dlogits * 1.5f];
        });

    private sealed class Seen
    {
        public float[]? Values { get; set; }

        public TensorStorage? Storage { get; set; }
    }

    private (Variable X, Variable Logits, Seen Seen, Tensor Labels) Graph()
    {
        var rng = new Rng(5);
        var x = new Variable(Tensor.RandomNormal(rng, 0f, 2f, 7, 33).To(Device), requiresGrad: true);
        var seen = new Seen();
        // Rows 2 and 5 ignored; labels at both ends of the row.
        var labels = Tensor.FromInts([0, 32, -100, 5, 17, -100, 31], 7).To(Device);
        return (x, ScaledSpy(x, seen), seen, labels);
    }

    [GpuFact]
    public void The_gradient_over_the_logits_equals_the_usual_one_and_takes_their_memory()
    {
        var usual = Graph();
        Ops.CrossEntropy(usual.Logits, usual.Labels).Backward();
        var overLogits = Graph();
        var logitsStorage = overLogits.Logits.Value.Storage;
        Ops.CrossEntropy(overLogits.Logits, overLogits.Labels, gradientOverLogits: true).Backward(releaseGraph: true);

        Assert.Equal(usual.X.Grad!.ToArray(), overLogits.X.Grad!.ToArray());
        Assert.Equal(usual.Seen.Values, overLogits.Seen.Values);
        Assert.NotSame(usual.Logits.Value.Storage, usual.Seen.Storage);
        Assert.Same(logitsStorage, overLogits.Seen.Storage);
    }

    [GpuFact]
    public void After_the_backward_the_logits_hold_the_usual_dlogits()
    {
        var (_, logits, _, labels) = Graph();
        var expected = Tensor.CrossEntropyBackward(logits.Value, labels, Tensor.CrossEntropy(logits.Value, labels).LogSumExp, -100,
            Tensor.FromArray([1f / 5]).To(Device)).ToArray();
        Ops.CrossEntropy(logits, labels, gradientOverLogits: true).Backward();
        Assert.Equal(expected, logits.Value.ToArray());
    }

    [GpuFact]
    public void A_leaf_that_requires_grad_is_never_overwritten()
    {
        var leaf = new Variable(Tensor.Zeros(Device, 2, 3), requiresGrad: true);
        var error = Assert.Throws<ArgumentException>(() => Ops.CrossEntropy(leaf, Tensor.FromInts([0, 1], 2).To(Device), gradientOverLogits: true));
        Assert.Contains("leaf", error.Message);
        // Without gradients (evaluation) there is no backward to write anything.
        var constant = new Variable(Tensor.Zeros(Device, 2, 3));
        Assert.Equal(MathF.Log(3), Ops.CrossEntropy(constant, Tensor.FromInts([0, 1], 2).To(Device), gradientOverLogits: true).Value.Item(), 5);
    }
}

/// <summary>On the CPU.</summary>
public sealed class CrossEntropyOverLogitsCpuTests : CrossEntropyOverLogitsTests;

/// <summary>On ILGPU's CPU accelerator (the GPU kernels).</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class CrossEntropyOverLogitsIlgpuCpuTests : CrossEntropyOverLogitsTests;
