using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Tensors;

namespace BiGS.Native.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Matrix product over the last two dims with batch broadcasting (see <see cref="Tensor.MatMul"/>).
    /// For y = a b: da = dy b^T, db = a^T dy (summed over broadcast batch dims).
    /// </summary>
    public static Variable MatMul(Variable a, Variable b) =>
        Record("MatMul", Tensor.MatMul(a.Value, b.Value), [a, b], dy =>
        [
            a.RequiresGrad ? Tensor.MatMul(dy, b.Value, transposeB: true).SumToShape(a.Shape) : null,
            b.RequiresGrad ? MatMulWeightGrad(a.Value, dy, b.Shape) : null,
        ]);

    /// <summary>
    /// y = x W^T + b with W (out, in) as PyTorch stores it; x (..., in). Backward:
    /// dx = dy W, dW = dy^T x (rows folded), db = column sums of dy.
    /// </summary>
    public static Variable Linear(Variable x, Variable weight, Variable? bias)
    {
        var y = bias is null ? Tensor.MatMul(x.Value, weight.Value, transposeB: true) : AffineWithBias(x.Value, weight.Value, bias.Value);
        Variable[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Record("Linear", y, inputs, dy => LinearBackward(x, weight, bias, dy));
    }

    /// <summary>
    /// y = gelu(x W^T + b) fused: the bias and activation run as one pass over the GEMM output.
    /// Backward: dz = dy * gelu'(z) (dbias from the same pass), then the Linear backward with dz.
    /// </summary>
    public static Variable LinearGelu(Variable x, Variable weight, Variable bias, GeluKind kind)
    {
        var z = Tensor.MatMul(x.Value, weight.Value, transposeB: true);
        var y = Tensor.BiasGelu(kind, z, bias.Value);
        return Record("LinearGelu", y, [x, weight, bias], dy =>
        {
            var dbias = Tensor.Zeros(bias.Value.Device, bias.Value.ShapeArray());
            var dz = Tensor.BiasGeluBackward(kind, z, bias.Value, dy, dbias);
            var grads = LinearBackward(x, weight, null, dz);
            return [grads[0], grads[1], dbias];
        }, z);
    }

    /// <summary>
    /// x W^T + b without a temporary for the product: every row of y starts as b, then the GEMM accumulates into it
    /// (C = 1 * A B^T + 1 * C).
    /// </summary>
    private static Tensor AffineWithBias(Tensor x, Tensor weight, Tensor bias)
    {
        int outFeatures = weight.Size(0), inFeatures = weight.Size(1);
        int[] shape = [.. x.Shape[..^1], outFeatures];
        var y = Tensor.Empty(DType.Float32, x.Device, shape);
        var rows = y.Reshape(-1, outFeatures);
        rows.CopyFrom(bias.Expand(rows.Size(0), outFeatures));
        var packedX = x.Contiguous();
        Tensor.MatMulInto(packedX.Reshape(-1, inFeatures), false, weight, true, rows, 1f, 1f);
        Tensor.ReleaseCopy(packedX, x);
        return y;
    }

    /// <summary>
    /// Gradients of z = x W^T + b given dz, the gradient of z: dx = dz W, dW = dz^T x (rows folded), db = column
    /// sums of dz. For Linear, z is the output (dz = dy); LinearGelu passes the gradient before its activation, with
    /// no bias (its bias gradient comes out of the fused activation backward).
    /// </summary>
    private static Tensor?[] LinearBackward(Variable x, Variable weight, Variable? bias, Tensor dz)
    {
        int outFeatures = weight.Value.Size(0), inFeatures = weight.Value.Size(1);
        var dz2 = dz.Reshape(-1, outFeatures);
        Tensor? dx = x.RequiresGrad ? Tensor.MatMul(dz, weight.Value) : null;
        Tensor? dw = null;
        if (weight.RequiresGrad)
        {
            dw = Tensor.Empty(DType.Float32, weight.Value.Device, outFeatures, inFeatures);
            Tensor.MatMulInto(dz2, true, x.Value.Reshape(-1, inFeatures), false, dw, 1f, 0f);
        }
        Tensor? db = bias is { RequiresGrad: true } ? dz2.Sum(0) : null;
        return bias is null ? [dx, dw] : [dx, dw, db];
    }

    private static Tensor MatMulWeightGrad(Tensor a, Tensor dy, ReadOnlySpan<int> bShape)
    {
        if (bShape.Length == 2 && a.Rank > 2)
        {
            int k = a.Size(-1), n = dy.Size(-1);
            var g = Tensor.Empty(DType.Float32, a.Device, k, n);
            Tensor.MatMulInto(a.Reshape(-1, k), true, dy.Reshape(-1, n), false, g, 1f, 0f);
            return g;
        }
        return Tensor.MatMul(a, dy, transposeA: true).SumToShape(bShape);
    }
}
