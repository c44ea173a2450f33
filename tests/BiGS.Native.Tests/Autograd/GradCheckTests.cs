using BiGS.Native.Autograd;
using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Tensors;

namespace BiGS.Native.Tests.Autograd;

/// <summary>Every backward rule checked against central differences (float32, eps 1e-2, tolerance 1e-2 relative).</summary>
public class GradCheckTests
{
    private static Tensor R(ulong seed, params int[] shape) => TestData.RandomTensor(seed, shape);

    private static Tensor P(ulong seed, params int[] shape) => TestData.PositiveTensor(seed, shape);

    [Fact] public void Add_with_broadcast() => GradCheck.Assert(v => Ops.Add(v[0], v[1]), [R(1, 3, 4), R(2, 4)]);

    [Fact] public void Sub_with_broadcast() => GradCheck.Assert(v => Ops.Sub(v[0], v[1]), [R(1, 3, 1), R(2, 1, 5)]);

    [Fact] public void Mul_with_broadcast() => GradCheck.Assert(v => Ops.Mul(v[0], v[1]), [R(1, 2, 3, 4), R(2, 3, 1)]);

    [Fact] public void Div_with_broadcast() => GradCheck.Assert(v => Ops.Div(v[0], v[1]), [R(1, 3, 4), P(2, 4)]);

    [Fact] public void Scale_and_add_scalar() => GradCheck.Assert(v => Ops.AddScalar(Ops.Scale(v[0], -1.5f), 2f), [R(1, 5)]);

    public static TheoryData<UnaryOp> SmoothUnaryOps => new()
    {
        UnaryOp.Neg, UnaryOp.Exp, UnaryOp.Log, UnaryOp.Sqrt, UnaryOp.Rsqrt, UnaryOp.Square, UnaryOp.Reciprocal,
        UnaryOp.Tanh, UnaryOp.Sigmoid, UnaryOp.GeluTanh, UnaryOp.GeluErf,
    };

    [Theory]
    [MemberData(nameof(SmoothUnaryOps))]
    public void Unary(UnaryOp op)
    {
        bool positiveDomain = op is UnaryOp.Log or UnaryOp.Sqrt or UnaryOp.Rsqrt or UnaryOp.Reciprocal;
        GradCheck.Assert(v => Ops.Apply(v[0], op), [positiveDomain ? P(3, 4, 5) : R(3, 4, 5)]);
    }

    [Fact]
    public void Relu_and_abs_away_from_the_kink()
    {
        var x = Tensor.FromArray(TestData.Random(20, 4).Select(v => v + MathF.Sign(v) * 0.1f).ToArray(), 4, 5);
        GradCheck.Assert(v => Ops.Relu(v[0]), [x]);
        GradCheck.Assert(v => Ops.Apply(v[0], UnaryOp.Abs), [x]);
    }

    [Fact] public void MatMul_batched() => GradCheck.Assert(v => Ops.MatMul(v[0], v[1]), [R(1, 2, 3, 4), R(2, 2, 4, 5)]);

    [Fact] public void MatMul_with_shared_right_operand() => GradCheck.Assert(v => Ops.MatMul(v[0], v[1]), [R(1, 2, 3, 4), R(2, 4, 5)]);

    [Fact] public void Linear() => GradCheck.Assert(v => Ops.Linear(v[0], v[1], v[2]), [R(1, 2, 3, 4), R(2, 5, 4), R(3, 5)]);

    [Fact]
    public void LinearResidual() =>
        GradCheck.Assert(v => Ops.LinearResidual(v[0], v[1], v[2], v[3]), [R(1, 2, 3, 4), R(2, 5, 4), R(3, 5), R(4, 2, 3, 5)]);

    [Theory]
    [InlineData(GeluKind.Tanh)]
    [InlineData(GeluKind.Erf)]
    public void LinearGelu(GeluKind kind) =>
        GradCheck.Assert(v => Ops.LinearGelu(v[0], v[1], v[2], kind), [R(1, 2, 3, 4), R(2, 5, 4), R(3, 5)]);

    [Theory]
    [InlineData(GeluKind.Tanh)]
    [InlineData(GeluKind.Erf)]
    public void GatedLinearGelu(GeluKind kind) =>
        GradCheck.Assert(v => Ops.GatedLinearGelu(v[0], v[1], v[2], v[3], v[4], v[5], kind),
            [R(1, 2, 3, 4), R(2, 5, 4), R(3, 5), R(4, 2, 3, 6), R(5, 5, 6), R(6, 5)]);

    [Fact]
    public void LinearTimes() => GradCheck.Assert(v => Ops.LinearTimes(v[0], v[1], v[2], v[3]), [R(1, 2, 3, 4), R(2, 5, 4), R(3, 5), R(4, 2, 3, 5)]);

    [Fact] public void Reshape_permute_transpose() =>
        GradCheck.Assert(v => Ops.Mul(Ops.Transpose(Ops.Permute(Ops.Reshape(v[0], 2, 3, 4), 2, 0, 1), 0, 2), v[1]), [R(1, 24), R(2, 3, 2, 4)]);

    [Fact] public void Flip() => GradCheck.Assert(v => Ops.Mul(Ops.Flip(v[0], 1), v[1]), [R(1, 2, 5, 3), R(2, 2, 5, 3)]);

    [Fact] public void Slice() => GradCheck.Assert(v => Ops.Slice(v[0], 1, 1, 2), [R(1, 3, 4, 2)]);

    [Fact] public void Sum_and_mean() => GradCheck.Assert(v => Ops.Add(Ops.Sum(v[0], 1), Ops.Mean(v[0], 1)), [R(1, 3, 4, 2)]);

    [Fact] public void LayerNorm() =>
        GradCheck.Assert(v => Ops.LayerNorm(v[0], v[1], v[2], 1e-5f), [R(1, 3, 8), P(2, 8), R(3, 8)], tolerance: 2e-2);

    [Fact] public void Softmax() => GradCheck.Assert(v => Ops.Softmax(v[0]), [R(1, 3, 6)]);

    [Fact] public void LogSoftmax() => GradCheck.Assert(v => Ops.LogSoftmax(v[0]), [R(1, 3, 6)]);

    [Fact]
    public void CrossEntropy_with_ignored_rows()
    {
        var labels = Tensor.FromInts([2, -100, 0, 5], 4);
        GradCheck.Assert(v => Ops.CrossEntropy(v[0], labels), [R(1, 4, 6)]);
    }

    [Fact] public void Mse() => GradCheck.Assert(v => Ops.MseLoss(v[0], R(9, 3, 2)), [R(1, 3, 2)]);

    [Fact]
    public void Bce_with_logits()
    {
        var targets = Tensor.FromArray([1f, 0f, 0f, 1f, 1f, 0f], 2, 3);
        GradCheck.Assert(v => Ops.BceWithLogitsLoss(v[0], targets), [R(1, 2, 3)]);
    }

    [Fact]
    public void Embedding_with_repeated_ids()
    {
        var ids = Tensor.FromInts([1, 3, 1, 0, 3, 3], 2, 3);
        GradCheck.Assert(v => Ops.Embedding(v[0], ids), [R(1, 5, 4)]);
    }

    [Fact]
    public void Dropout_with_a_fixed_mask() =>
        GradCheck.Assert(v => Ops.Dropout(v[0], 0.3f, new Rng(5)), [R(1, 6, 7)]);

    [Fact]
    public void S4D_through_kernel_and_convolution()
    {
        int n = 4, length = 9, channels = 3;
        var aRe = Tensor.FromArray([-0.5f, -0.3f, -0.7f, -0.2f], n);
        var aIm = Tensor.FromArray([-2f, -0.5f, 0.5f, 2f], n);
        GradCheck.Assert(v => Ops.S4D(v[0], v[1], v[2], v[3], v[4], v[5]),
            [R(1, 2, length, channels), aRe, aIm, R(2, n, 2), Tensor.FromArray([-1.5f], 1), Tensor.FromArray([0.7f], 1)],
            tolerance: 2e-2, eps: 5e-3f);
    }
}
