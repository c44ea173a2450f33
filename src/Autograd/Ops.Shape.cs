using BiGS.Native.Tensors;

namespace BiGS.Native.Autograd;

public static partial class Ops
{
    /// <summary>Same elements, new shape. The gradient is reshaped back.</summary>
    public static Variable Reshape(Variable x, params int[] shape)
    {
        var original = x.Value.ShapeArray();
        return Record("Reshape", x.Value.Reshape(shape), [x], dy => [dy.Reshape(original)]);
    }

    /// <summary>Reorders dims; the gradient is permuted by the inverse order.</summary>
    public static Variable Permute(Variable x, params int[] order)
    {
        var inverse = new int[order.Length];
        for (int i = 0; i < order.Length; i++) inverse[order[i]] = i;
        return Record("Permute", x.Value.Permute(order), [x], dy => [ViewGradient(x, dy.Permute(inverse))]);
    }

    /// <summary>Swaps dimensions <paramref name="dim0"/> and <paramref name="dim1"/>; the gradient is swapped back the same way.</summary>
    public static Variable Transpose(Variable x, int dim0, int dim1) =>
        Record("Transpose", x.Value.Transpose(dim0, dim1), [x], dy => [ViewGradient(x, dy.Transpose(dim0, dim1))]);

    /// <summary>Reverses along a dim (BiGS flips the sequence for its backward SSM); the gradient flips back.</summary>
    public static Variable Flip(Variable x, int dim) =>
        Record("Flip", x.Value.Flip(dim), [x], dy => [ViewGradient(x, dy.Flip(dim))]);

    /// <summary>A slice along one dim; the gradient is zero outside it.</summary>
    public static Variable Slice(Variable x, int dim, int start, int length) =>
        Record("Slice", x.Value.Slice(dim, start, length), [x], dy => [SliceBackward(x.Value, dim, start, dy)]);

    /// <summary>
    /// Places dy into zeros at [start, start+len) along dim. With dim moved to the front, that slice of a
    /// contiguous buffer is itself contiguous, so a plain copy fills it.
    /// </summary>
    private static Tensor SliceBackward(Tensor x, int dim, int start, Tensor dy)
    {
        int d = ShapeUtil.NormalizeAxis("Slice", dim, x.Rank);
        var toFront = Enumerable.Range(0, x.Rank).Where(i => i != d).Prepend(d).ToArray();
        var fromFront = new int[x.Rank];
        for (int i = 0; i < x.Rank; i++) fromFront[toFront[i]] = i;
        var dxFront = Tensor.Zeros(x.Device, x.Permute(toFront).ShapeArray());
        dxFront.Slice(0, start, dy.Size(d)).CopyFrom(dy.Permute(toFront));
        return dxFront.Permute(fromFront).Contiguous();
    }

    /// <summary>A contiguous copy of a view (the gradient passes through).</summary>
    public static Variable Contiguous(Variable x) => Record("Contiguous", x.Value.Contiguous(), [x], dy => [dy]);

    /// <summary>Sum along an axis; the gradient is broadcast back along it.</summary>
    public static Variable Sum(Variable x, int axis, bool keepDim = false)
    {
        var shape = x.Value.ShapeArray();
        int d = ShapeUtil.NormalizeAxis("Sum", axis, shape.Length);
        return Record("Sum", x.Value.Sum(d, keepDim), [x], dy => [dy.Reshape(KeptShape(shape, d)).Expand(shape).Contiguous()]);
    }

    /// <summary>Mean along <paramref name="axis"/>, which is dropped unless <paramref name="keepDim"/>; each input gets dy / n of the gradient.</summary>
    public static Variable Mean(Variable x, int axis, bool keepDim = false)
    {
        int d = ShapeUtil.NormalizeAxis("Mean", axis, x.Value.Rank);
        return Scale(Sum(x, d, keepDim), 1f / x.Value.Size(d));
    }

    /// <summary>Sum of every element (a scalar).</summary>
    public static Variable SumAll(Variable x) => Sum(Reshape(x, -1), 0);

    /// <summary>Mean of every element (a scalar).</summary>
    public static Variable MeanAll(Variable x) => Scale(SumAll(x), 1f / x.Value.Count);

    private static int[] KeptShape(int[] shape, int axis)
    {
        var kept = (int[])shape.Clone();
        kept[axis] = 1;
        return kept;
    }
}
