using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Tensors;

namespace BiGS.Native.Autograd;

/// <summary>
/// Differentiable operations on <see cref="Variable"/>s. Each computes its value with the tensor layer and,
/// when grad is on and an input requires it, records how to map the output gradient to input gradients.
/// This file: recording and elementwise arithmetic (with broadcasting).
/// </summary>
public static partial class Ops
{
    /// <summary>
    /// Wraps a result, recording its backward when any input requires grad and grad mode is on. <paramref name="saved"/>
    /// lists the temporaries the backward reads besides the inputs' and the result's values (see <see cref="GradNode.Saved"/>).
    /// </summary>
    internal static Variable Record(string name, Tensor value, Variable[] inputs, Func<Tensor, Tensor?[]> backward, params Tensor[] saved) =>
        Recording(inputs)
            ? new Variable(value, new GradNode(name, inputs, backward, saved))
            : new Variable(value);

    /// <summary>True when grad mode is on and an input requires grad: <see cref="Record"/> will record a backward.</summary>
    private static bool Recording(params Variable[] inputs) => GradMode.IsEnabled && inputs.Any(v => v.RequiresGrad);

    /// <summary>
    /// The tensor a backward writes an input's gradient into as c = product + <paramref name="beta"/> c: a leaf's own
    /// Grad (see <see cref="Variable.GradDestination"/>), with beta 1 the gradient the pass already holds for a computed
    /// input that another consumer gave a share (see <see cref="BackwardPass.GradientToAddInto"/>), or a new tensor
    /// (beta 0). Return <see cref="HandOn"/> of it.
    /// </summary>
    internal static Tensor GradientTarget(Variable input, out float beta)
    {
        if (input.ReceivesGradInPlace) return input.GradDestination(out beta);
        var pending = BackwardPass.GradientToAddInto(input);
        beta = pending is null ? 0f : 1f;
        return pending ?? Tensor.Empty(DType.Float32, input.Value.Device, input.Value.ShapeArray());
    }

    /// <summary>
    /// The tensor a backward that can only add (scatter-add, accumulating reductions) adds an input's gradient into: a
    /// leaf's own Grad (zeros when it had none), the gradient the pass already holds for a computed input, or new
    /// zeros. Return <see cref="HandOn"/> of it.
    /// </summary>
    internal static Tensor AddingGradientTarget(Variable input) =>
        input.ReceivesGradInPlace ? input.GradAccumulator() : BackwardPass.GradientToAddInto(input) ?? Tensor.ZerosLike(input.Value);

    /// <summary>
    /// The tensors a backward writes several inputs' gradients into with one <paramref name="beta"/> (one kernel, one
    /// accumulate flag): with beta 0 when none of them holds a gradient yet (<see cref="GradientTarget"/>), else with
    /// beta 1 onto each held gradient, zeros where one had none (<see cref="AddingGradientTarget"/>). An input listed
    /// twice also takes beta 1, so that both shares add up. Return <see cref="HandOn"/> of each.
    /// </summary>
    internal static Tensor[] GradientTargets(Variable[] inputs, out float beta)
    {
        bool adding = inputs.Any(HoldsGradient) || inputs.Distinct(ReferenceEqualityComparer.Instance).Count() < inputs.Length;
        beta = adding ? 1f : 0f;
        return adding ? [.. inputs.Select(AddingGradientTarget)] : [.. inputs.Select(v => GradientTarget(v, out _))];
    }

    /// <summary>True when a backward can add onto a gradient the input already holds (a leaf's Grad, a pending share).</summary>
    private static bool HoldsGradient(Variable input) =>
        input.ReceivesGradInPlace ? input.Grad is not null : BackwardPass.GradientToAddInto(input) is not null;

    /// <summary>
    /// What a backward returns for an input whose gradient it wrote into <paramref name="target"/> (from
    /// <see cref="GradientTarget"/> or <see cref="AddingGradientTarget"/>): nothing when that was the leaf's Grad (the
    /// pass already knows), the tensor otherwise (the pass adds nothing when it is the gradient it held).
    /// </summary>
    internal static Tensor? HandOn(Variable input, Tensor target) => input.ReceivesGradInPlace ? null : target;

    /// <summary>
    /// The gradient of an input whose value the output views (a flip, a transpose): <paramref name="view"/>, dy seen in
    /// the input's layout, read where it lies and copied, or added, into the input's <see cref="GradientTarget"/>.
    /// </summary>
    internal static Tensor? ViewGradient(Variable input, Tensor view)
    {
        var target = GradientTarget(input, out float beta);
        if (beta == 0f) target.CopyFrom(view);
        else target.AddInPlace(view);
        return HandOn(input, target);
    }

    /// <summary>a + b (broadcasting). d/da = dy summed to a's shape; same for b.</summary>
    public static Variable Add(Variable a, Variable b) =>
        Record("Add", a.Value + b.Value, [a, b], dy => [Unbroadcast(dy, a), Unbroadcast(dy, b)]);

    /// <summary>a - b (broadcasting).</summary>
    public static Variable Sub(Variable a, Variable b) =>
        Record("Sub", a.Value - b.Value, [a, b], dy => [Unbroadcast(dy, a), b.RequiresGrad ? Unbroadcast(-dy, b) : null]);

    /// <summary>a * b (broadcasting). d/da = dy * b, d/db = dy * a.</summary>
    public static Variable Mul(Variable a, Variable b) =>
        Record("Mul", a.Value * b.Value, [a, b], dy =>
        [
            a.RequiresGrad ? Unbroadcast(dy * b.Value, a) : null,
            b.RequiresGrad ? Unbroadcast(dy * a.Value, b) : null,
        ]);

    /// <summary>a / b (broadcasting). d/da = dy / b, d/db = -dy a / b^2.</summary>
    public static Variable Div(Variable a, Variable b)
    {
        var y = a.Value / b.Value;
        return Record("Div", y, [a, b], dy =>
        [
            a.RequiresGrad ? Unbroadcast(dy / b.Value, a) : null,
            b.RequiresGrad ? Unbroadcast(-(dy * y / b.Value), b) : null,
        ]);
    }

    /// <summary>a * s for a constant s.</summary>
    public static Variable Scale(Variable a, float s) => Record("Scale", a.Value * s, [a], dy => [dy * s]);

    /// <summary>a + s for a constant s.</summary>
    public static Variable AddScalar(Variable a, float s) => Record("AddScalar", a.Value + s, [a], dy => [dy]);

    /// <summary>Elementwise function from the kernel set; backward uses its derivative.</summary>
    public static Variable Apply(Variable x, UnaryOp op)
    {
        var y = x.Value.Apply(op);
        return Record(op.ToString(), y, [x], dy => [Tensor.ApplyBackward(op, x.Value, y, dy)]);
    }

    /// <summary>tanh(x).</summary>
    public static Variable Tanh(Variable x) => Apply(x, UnaryOp.Tanh);

    /// <summary>e^x.</summary>
    public static Variable Exp(Variable x) => Apply(x, UnaryOp.Exp);

    /// <summary>ln x.</summary>
    public static Variable Log(Variable x) => Apply(x, UnaryOp.Log);

    /// <summary>1 / (1 + e^-x).</summary>
    public static Variable Sigmoid(Variable x) => Apply(x, UnaryOp.Sigmoid);

    /// <summary>GELU, tanh approximation or exact erf form.</summary>
    public static Variable Gelu(Variable x, GeluKind kind) => Apply(x, kind == GeluKind.Tanh ? UnaryOp.GeluTanh : UnaryOp.GeluErf);

    /// <summary>max(x, 0).</summary>
    public static Variable Relu(Variable x) => Apply(x, UnaryOp.Relu);

    /// <summary>x^2.</summary>
    public static Variable Square(Variable x) => Apply(x, UnaryOp.Square);

    /// <summary>Sums a gradient of a broadcast result back to the input's shape.</summary>
    internal static Tensor? Unbroadcast(Tensor dy, Variable input) =>
        input.RequiresGrad ? dy.SumToShape(input.Shape) : null;
}
