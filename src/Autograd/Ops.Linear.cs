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
            b.RequiresGrad ? MatMulWeightGrad(a.Value, dy, b) : null,
        ]);

    /// <summary>
    /// y = x W^T + b with W (out, in) as PyTorch stores it; x (..., in). Backward:
    /// dx = dy W, dW = dy^T x (rows folded), db = column sums of dy.
    /// </summary>
    public static Variable Linear(Variable x, Variable weight, Variable? bias)
    {
        var y = Affine(x.Value, weight.Value, new GemmEpilogue { Bias = bias?.Value });
        Variable[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Record("Linear", y, inputs, dy => LinearBackward(x, weight, bias, dy));
    }

    /// <summary>
    /// y = x W^T + b + r, the residual r (same shape as y) added by the GEMM's epilogue rather than by a separate
    /// pass. Backward: as <see cref="Linear"/>, and dr = dy.
    /// </summary>
    public static Variable LinearResidual(Variable x, Variable weight, Variable bias, Variable residual)
    {
        var packedResidual = residual.Value.Contiguous();
        var y = Affine(x.Value, weight.Value, new GemmEpilogue { Bias = bias.Value, Residual = packedResidual.Reshape(-1, weight.Value.Size(0)) });
        Tensor.ReleaseCopy(packedResidual, residual.Value);
        return Record("LinearResidual", y, [x, weight, bias, residual], dy => [.. LinearBackward(x, weight, bias, dy), dy]);
    }

    /// <summary>
    /// y = gelu(x W^T + b), the bias and activation applied by the GEMM's epilogue. When gradients are recorded the
    /// epilogue also keeps z = x W^T for the backward pass: dz = dy * gelu'(z + b) (dbias from the same pass), then
    /// the Linear backward with dz.
    /// </summary>
    public static Variable LinearGelu(Variable x, Variable weight, Variable bias, GeluKind kind)
    {
        var (y, z) = AffineKeepingProduct(x, weight, bias, kind, gate: null, Recording(x, weight, bias));
        if (z is null) return new Variable(y);
        return Record("LinearGelu", y, [x, weight, bias], dy =>
        {
            var dbias = AddingGradientTarget(bias);
            var dz = Tensor.BiasGeluBackward(kind, z, bias.Value, dy, dbias);
            var grads = LinearBackward(x, weight, null, dz);
            return [grads[0], grads[1], HandOn(bias, dbias)];
        }, z);
    }

    /// <summary>
    /// The gated GELU pair y = gelu(x W^T + b) * gelu(g Wg^T + bg) (BiGS: <c>gelu(dol(.)) * v</c> with v the gate
    /// branch): two GEMMs, the second's epilogue multiplying by the first's activation, so no separate product pass. The
    /// backward reads the two pre-activations z = x W^T and zg = g Wg^T (kept by the epilogues; neither activation is
    /// kept) and computes both in one pass,
    /// <code>
    /// dz = dy gelu(zg + bg) gelu'(z + b)      dzg = dy gelu(z + b) gelu'(zg + bg)
    /// </code>
    /// with db and dbg their column sums, then the two Linear backwards.
    /// </summary>
    public static Variable GatedLinearGelu(Variable x, Variable weight, Variable bias, Variable gateX, Variable gateWeight, Variable gateBias, GeluKind kind)
    {
        bool recording = Recording(x, weight, bias, gateX, gateWeight, gateBias);
        var (gate, gateZ) = AffineKeepingProduct(gateX, gateWeight, gateBias, kind, gate: null, recording);
        var (y, z) = AffineKeepingProduct(x, weight, bias, kind, gate, recording);
        gate.Dispose(); // read by the epilogue only: the backward recomputes it from zg
        if (z is null || gateZ is null) return new Variable(y);
        return Record("GatedLinearGelu", y, [x, weight, bias, gateX, gateWeight, gateBias], dy =>
        {
            var (dbias, dGateBias) = (AddingGradientTarget(bias), AddingGradientTarget(gateBias));
            var (dz, dGateZ) = Tensor.GatedGeluBackward(kind, z, bias.Value, gateZ, gateBias.Value, dy, dbias, dGateBias);
            var grads = LinearBackward(x, weight, null, dz);
            var gateGrads = LinearBackward(gateX, gateWeight, null, dGateZ);
            return [grads[0], grads[1], HandOn(bias, dbias), gateGrads[0], gateGrads[1], HandOn(gateBias, dGateBias)];
        }, z, gateZ);
    }

    /// <summary>
    /// y = (x W^T + b) * g, the bias and the product with g (same shape as y) applied by the GEMM's epilogue, so no
    /// separate product pass (BiGS's c_f * c_b, the backward direction's Dense times the forward's). When gradients are
    /// recorded the epilogue also keeps z = x W^T (y is not kept), and the backward is one pass,
    /// <code>
    /// dz = dy g  (db its column sums)        dg = dy (z + b)
    /// </code>
    /// then the Linear backward with dz.
    /// </summary>
    public static Variable LinearTimes(Variable x, Variable weight, Variable bias, Variable gate)
    {
        var packedGate = gate.Value.Contiguous();
        var (y, z) = AffineKeepingProduct(x, weight, bias, kind: null, packedGate, Recording(x, weight, bias, gate));
        Tensor.ReleaseCopy(packedGate, gate.Value);
        if (z is null) return new Variable(y);
        return Record("LinearTimes", y, [x, weight, bias, gate], dy =>
        {
            var dbias = AddingGradientTarget(bias);
            var (dz, dGate) = Tensor.BiasProductBackward(z, bias.Value, gate.Value, dy, dbias);
            var grads = LinearBackward(x, weight, null, dz);
            return [grads[0], grads[1], HandOn(bias, dbias), dGate];
        }, z);
    }

    /// <summary>
    /// y = act(x W^T + b) (act: GELU of <paramref name="kind"/>, or none when null), times <paramref name="gate"/> when
    /// given (same shape as y, contiguous), by one GEMM's epilogue; with <paramref name="keepProduct"/> also z = x W^T, for
    /// a backward pass (else null).
    /// </summary>
    private static (Tensor Y, Tensor? Z) AffineKeepingProduct(Variable x, Variable weight, Variable bias, GeluKind? kind, Tensor? gate, bool keepProduct)
    {
        int[] shape = [.. x.Shape[..^1], weight.Value.Size(0)];
        var z = keepProduct ? Tensor.Empty(DType.Float32, x.Value.Device, shape) : null;
        var epilogue = new GemmEpilogue { Bias = bias.Value, Activation = kind, Gate = gate?.Reshape(-1, shape[^1]), Product = z?.Reshape(-1, shape[^1]) };
        return (Affine(x.Value, weight.Value, epilogue), z);
    }

    /// <summary>The epilogue applied to x W^T (x's leading dims folded into the GEMM's rows), as a new tensor.</summary>
    private static Tensor Affine(Tensor x, Tensor weight, GemmEpilogue epilogue)
    {
        int outFeatures = weight.Size(0), inFeatures = weight.Size(1);
        int[] shape = [.. x.Shape[..^1], outFeatures];
        var y = Tensor.Empty(DType.Float32, x.Device, shape);
        var packedX = x.Contiguous();
        Tensor.GemmInto(packedX.Reshape(-1, inFeatures), false, weight, true, y.Reshape(-1, outFeatures), epilogue);
        Tensor.ReleaseCopy(packedX, x);
        return y;
    }

    /// <summary>
    /// Gradients of z = x W^T + b given dz, the gradient of z: dx = dz W, dW = dz^T x (rows folded) and db = column
    /// sums of dz, each written straight into its <see cref="GradientTarget"/> (a leaf's Grad, or dx added onto the
    /// share another consumer of x gave). For Linear, z is the output (dz = dy); LinearGelu passes
    /// the gradient before its activation, with no bias (its bias gradient comes out of the fused activation backward).
    /// </summary>
    private static Tensor?[] LinearBackward(Variable x, Variable weight, Variable? bias, Tensor dz)
    {
        int outFeatures = weight.Value.Size(0), inFeatures = weight.Value.Size(1);
        var dz2 = dz.Reshape(-1, outFeatures);
        Tensor? dx = x.RequiresGrad ? ProductGradient(x, dz2, false, weight.Value, false) : null;
        Tensor? dw = weight.RequiresGrad ? ProductGradient(weight, dz2, true, x.Value.Reshape(-1, inFeatures), false) : null;
        Tensor? db = bias is { RequiresGrad: true } ? ColumnSumsGradient(bias, dz2) : null;
        return bias is null ? [dx, dw] : [dx, dw, db];
    }

    /// <summary>
    /// db for y = a b with b 2-D: a^T dy with a's leading dims folded into the rows (the sum over broadcast batch
    /// dims), as one GEMM straight into a leaf's Grad; a batched b takes the batched product summed to its shape.
    /// </summary>
    private static Tensor? MatMulWeightGrad(Tensor a, Tensor dy, Variable b)
    {
        if (b.Value.Rank == 2 && a.Rank >= 2)
        {
            int k = a.Size(-1), n = dy.Size(-1);
            return ProductGradient(b, a.Reshape(-1, k), true, dy.Reshape(-1, n), false);
        }
        return Tensor.MatMul(a, dy, transposeA: true).SumToShape(b.Shape);
    }

    /// <summary>
    /// The gradient op(a) op(b) of an input (its leading dims folded into the product's rows), computed by one GEMM into
    /// its <see cref="GradientTarget"/>: accumulated with beta 1 onto a gradient it already holds, else a new tensor.
    /// </summary>
    private static Tensor? ProductGradient(Variable input, Tensor a, bool transposeA, Tensor b, bool transposeB)
    {
        var target = GradientTarget(input, out float beta);
        Tensor.GemmInto(a, transposeA, b, transposeB, target.Reshape(-1, target.Size(-1)), beta == 0f ? GemmEpilogue.None : AccumulatingProduct);
        return HandOn(input, target);
    }

    /// <summary>
    /// A bias gradient, the column sums of dz (rows, n), reduced into its <see cref="GradientTarget"/>: a leaf's Grad
    /// (added onto it when it already holds a gradient), or a new tensor handed on.
    /// </summary>
    private static Tensor? ColumnSumsGradient(Variable bias, Tensor dz2)
    {
        var target = GradientTarget(bias, out float beta);
        Tensor.ColumnSumsInto(dz2, target, accumulate: beta != 0f);
        return HandOn(bias, target);
    }

    /// <summary>c = op(a) op(b) + c.</summary>
    private static readonly GemmEpilogue AccumulatingProduct = new() { Beta = 1f };
}
