using BiGS.Native.Autograd;
using BiGS.Native.Tensors;

namespace BiGS.Native.Tests.Autograd;

/// <summary>The backward pass frees the gradients it allocates as soon as nothing can read them again.</summary>
public class BackwardMemoryTests
{
    /// <summary>y = 3 x recorded as its own op; its backward remembers every dy it was given and a temporary it made.</summary>
    private static Variable TripleSpy(Variable x, List<Tensor> seenGrads, List<Tensor> temporaries) =>
        Ops.Record("TripleSpy", x.Value * 3f, [x], dy =>
        {
            seenGrads.Add(dy);
            temporaries.Add(dy * 0f);
            return [dy * 3f];
        });

    [Fact]
    public void Intermediate_gradients_and_backward_temporaries_are_freed_while_leaf_gradients_are_right()
    {
        using var scope = new TensorScope();
        var x = new Variable(Tensor.FromArray([1f, -2f]), requiresGrad: true);
        var (seen, temporaries) = (new List<Tensor>(), new List<Tensor>());
        var y = TripleSpy(TripleSpy(TripleSpy(x, seen, temporaries), seen, temporaries), seen, temporaries);
        var rootGrad = Tensor.FromArray([1f, 10f]);
        y.Backward(rootGrad);

        // y = 27 x, so dL/dx = 27 dy.
        Assert.Equal(new[] { 27f, 270f }, x.Grad!.ToArray());
        Assert.Equal(3, seen.Count);
        Assert.Same(rootGrad, seen[0]);
        Assert.False(rootGrad.Storage.IsDisposed); // the caller's tensor is never freed
        Assert.All(seen.Skip(1), g => Assert.True(g.Storage.IsDisposed));
        Assert.All(temporaries, t => Assert.True(t.Storage.IsDisposed));
    }

    [Fact]
    public void A_gradient_shared_by_two_inputs_lives_until_both_are_done()
    {
        using var scope = new TensorScope();
        var a = new Variable(Tensor.FromArray([2f]), requiresGrad: true);
        var b = new Variable(Tensor.FromArray([5f]), requiresGrad: true);
        // Add's backward hands the same dy to both inputs; each then goes through x^2.
        var loss = Ops.SumAll(Ops.Add(Ops.Square(Ops.Add(a, b)), Ops.Square(Ops.Mul(a, b))));
        loss.Backward();
        // d/da = 2(a+b) + 2ab * b = 14 + 100; d/db = 2(a+b) + 2ab * a = 14 + 40
        Assert.Equal(114f, a.Grad!.ToArray()[0], 4);
        Assert.Equal(54f, b.Grad!.ToArray()[0], 4);
    }
}
