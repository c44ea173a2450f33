using BiGS.Native.Autograd;
using BiGS.Native.Tensors;

namespace BiGS.Native.Tests.Autograd;

public class BackwardSemanticsTests
{
    [Fact]
    public void Gradients_accumulate_across_backward_calls()
    {
        var x = new Variable(Tensor.FromArray([1f, 2f, 3f]), requiresGrad: true);
        Ops.SumAll(Ops.Square(x)).Backward();
        Ops.SumAll(Ops.Square(x)).Backward();
        Assert.Equal(new float[] { 4, 8, 12 }, x.Grad!.ToArray());
        x.ZeroGrad();
        Assert.Equal(new float[] { 0, 0, 0 }, x.Grad!.ToArray());
    }

    [Fact]
    public void A_variable_used_twice_receives_both_contributions()
    {
        var x = new Variable(Tensor.FromArray([2f]), requiresGrad: true);
        Ops.SumAll(Ops.Mul(x, x)).Backward(); // d(x^2)/dx = 2x
        Assert.Equal(4f, x.Grad!.ToArray()[0]);
    }

    [Fact]
    public void NoGrad_records_nothing_and_detach_stops_gradients()
    {
        var x = new Variable(Tensor.FromArray([1f, 2f]), requiresGrad: true);
        using (GradMode.NoGrad())
        {
            var y = Ops.Square(x);
            Assert.False(y.RequiresGrad);
        }
        var z = Ops.SumAll(Ops.Mul(Ops.Square(x).Detach(), x));
        z.Backward();
        Assert.Equal(new float[] { 1, 4 }, x.Grad!.ToArray());
    }

    [Fact]
    public void Backward_needs_a_scalar()
    {
        var x = new Variable(Tensor.FromArray([1f, 2f]), requiresGrad: true);
        Assert.Contains("(2)", Assert.Throws<InvalidOperationException>(() => Ops.Square(x).Backward()).Message);
    }

    [Fact]
    public void Grad_check_detects_a_wrong_backward()
    {
        // A deliberately wrong rule (gradient doubled) must be caught.
        Variable Wrong(Variable[] v) => Ops.Record("Wrong", v[0].Value * 3f, [v[0]], dy => [dy * 6f]);
        Assert.Throws<InvalidOperationException>(() => GradCheck.Assert(Wrong, [TestData.RandomTensor(1, 4)]));
    }
}
