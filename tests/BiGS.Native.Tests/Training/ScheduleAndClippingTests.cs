using BiGS.Native.Autograd;
using BiGS.Native.Tensors;
using BiGS.Native.Training;
using Xunit;

namespace BiGS.Native.Tests.Training;

public class ScheduleAndClippingTests
{
    [Fact]
    public void Warmup_then_cosine_to_the_floor()
    {
        var s = new LearningRateSchedule(1e-3f, 10, 110, ScheduleKind.Cosine, 0.1f);
        AssertRate(1e-4, s.At(1));
        AssertRate(5e-4, s.At(5));
        AssertRate(1e-3, s.At(10));
        AssertRate(1e-3 * (0.1 + 0.9 * 0.5), s.At(60)); // half way: cos(pi/2) = 0
        AssertRate(1e-4, s.At(110));
        AssertRate(1e-4, s.At(500));
    }

    [Fact]
    public void Linear_decays_to_zero_and_constant_stays()
    {
        var linear = new LearningRateSchedule(2e-5f, 10, 100, ScheduleKind.Linear);
        AssertRate(2e-5, linear.At(10));
        AssertRate(1e-5, linear.At(55));
        AssertRate(0, linear.At(100));
        var constant = new LearningRateSchedule(3e-4f, 0, 50, ScheduleKind.Constant);
        AssertRate(3e-4, constant.At(1));
        AssertRate(3e-4, constant.At(50));
        Assert.Throws<ArgumentOutOfRangeException>(() => constant.At(0));
        Assert.Throws<ArgumentException>(() => LearningRateSchedule.ParseKind("exponential"));
    }

    /// <summary>The schedule computes in double and returns float: agree to float precision.</summary>
    private static void AssertRate(double expected, float actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-7 * Math.Abs(expected) + 1e-12, $"expected {expected}, got {actual}");

    [Fact]
    public void Clipping_scales_all_gradients_to_the_global_norm()
    {
        var a = new Parameter("a", Tensor.Zeros(2)) { Grad = Tensor.FromArray([3f, 4f], 2) };
        var b = new Parameter("b", Tensor.Zeros(1)) { Grad = Tensor.FromArray([12f], 1) };
        var none = new Parameter("c", Tensor.Zeros(1));
        float norm = GradientClipping.ClipGlobalNorm([a, b, none], 6.5f).Item(); // sqrt(9 + 16 + 144) = 13
        Assert.Equal(13f, norm, 5);
        Assert.Equal([1.5f, 2f], a.Grad!.ToArray());
        Assert.Equal(6f, b.Grad!.ToArray()[0], 5);
        Assert.Equal(6.5f, GradientClipping.GlobalNorm([a, b]).Item(), 5);
        GradientClipping.ClipGlobalNorm([a, b], 100f);
        Assert.Equal([1.5f, 2f], a.Grad!.ToArray());
    }
}
