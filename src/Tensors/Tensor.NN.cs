using BiGS.Native.Kernels.Cpu;

namespace BiGS.Native.Tensors;

/// <summary>Saved statistics of a LayerNorm forward, needed by its backward.</summary>
public sealed record LayerNormStats(Tensor Mean, Tensor Rstd);

public sealed partial class Tensor
{
    /// <summary>gelu(x + bias) over the last dim; x (..., n), bias (n).</summary>
    public static Tensor BiasGelu(GeluKind kind, Tensor x, Tensor bias)
    {
        var (rows, cols) = RowsCols("BiasGelu", x, bias);
        var y = Empty(DType.Float32, x.Device, x.shape);
        x.Backend.BiasGelu(kind, x.Contiguous().Reshape(rows, cols), bias.Contiguous(), y.Reshape(rows, cols));
        return y;
    }

    /// <summary>Backward of <see cref="BiasGelu"/>: returns dx and accumulates into dbias.</summary>
    public static Tensor BiasGeluBackward(GeluKind kind, Tensor x, Tensor bias, Tensor dy, Tensor dbias)
    {
        var (rows, cols) = RowsCols("BiasGelu backward", x, bias);
        var dx = Empty(DType.Float32, x.Device, x.shape);
        x.Backend.BiasGeluBackward(kind, x.Contiguous().Reshape(rows, cols), bias.Contiguous(),
            dy.Contiguous().Reshape(rows, cols), dx.Reshape(rows, cols), dbias);
        return dx;
    }

    /// <summary>
    /// Backward of y = (z + bias) * gate over the last dim (z, gate and dy of one shape (..., n), bias (n)): returns
    /// dz = dy gate and dGate = dy (z + bias), and adds dz's column sums into dbias.
    /// </summary>
    public static (Tensor DZ, Tensor DGate) BiasProductBackward(Tensor z, Tensor bias, Tensor gate, Tensor dy, Tensor dbias)
    {
        var (rows, cols) = RowsCols("BiasProduct backward", z, bias);
        RequireSameShape("BiasProduct backward", z, gate);
        RequireSameShape("BiasProduct backward", z, dy);
        var (dz, dGate) = (Empty(DType.Float32, z.Device, z.shape), Empty(DType.Float32, z.Device, z.shape));
        z.Backend.BiasProductBackward(z.Contiguous().Reshape(rows, cols), bias.Contiguous(), gate.Contiguous().Reshape(rows, cols),
            dy.Contiguous().Reshape(rows, cols), dz.Reshape(rows, cols), dGate.Reshape(rows, cols), dbias);
        return (dz, dGate);
    }

    /// <summary>
    /// Backward of the gated pair y = gelu(a + bias) * gelu(g + gateBias) over the last dim (a, g and dy of one shape
    /// (..., n), biases (n)): returns da and dg, and adds their column sums into dbias and dGateBias.
    /// </summary>
    public static (Tensor DA, Tensor DG) GatedGeluBackward(GeluKind kind, Tensor a, Tensor bias, Tensor g, Tensor gateBias, Tensor dy,
        Tensor dbias, Tensor dGateBias)
    {
        var (rows, cols) = RowsCols("GatedGelu backward", a, bias);
        RequireVector("GatedGelu backward", gateBias, cols);
        RequireSameShape("GatedGelu backward", a, g);
        RequireSameShape("GatedGelu backward", a, dy);
        var da = Empty(DType.Float32, a.Device, a.shape);
        var dg = Empty(DType.Float32, a.Device, a.shape);
        a.Backend.GatedGeluBackward(kind, a.Contiguous().Reshape(rows, cols), bias.Contiguous(), g.Contiguous().Reshape(rows, cols),
            gateBias.Contiguous(), dy.Contiguous().Reshape(rows, cols), da.Reshape(rows, cols), dg.Reshape(rows, cols), dbias, dGateBias);
        return (da, dg);
    }

    /// <summary>LayerNorm over the last dim: (x - mean)/sqrt(var + eps) * gamma + beta.</summary>
    public static (Tensor Y, LayerNormStats Stats) LayerNorm(Tensor x, Tensor gamma, Tensor beta, float eps)
    {
        var (rows, cols) = RowsCols("LayerNorm", x, gamma);
        RequireVector("LayerNorm", beta, cols);
        var y = Empty(DType.Float32, x.Device, x.shape);
        var mean = Empty(DType.Float32, x.Device, rows);
        var rstd = Empty(DType.Float32, x.Device, rows);
        x.Backend.LayerNorm(x.Contiguous().Reshape(rows, cols), gamma.Contiguous(), beta.Contiguous(), eps, y.Reshape(rows, cols), mean, rstd);
        return (y, new LayerNormStats(mean, rstd));
    }

    /// <summary>LayerNorm backward: returns dx, accumulates dgamma and dbeta.</summary>
    public static Tensor LayerNormBackward(Tensor x, Tensor gamma, LayerNormStats stats, Tensor dy, Tensor dgamma, Tensor dbeta)
    {
        var dx = Empty(DType.Float32, x.Device, x.shape);
        LayerNormBackwardInto(x, gamma, stats, dy, dx, accumulateDx: false, dgamma, dbeta);
        return dx;
    }

    /// <summary>
    /// LayerNorm backward into a given dx (contiguous, shaped like x): overwritten, or added onto with
    /// <paramref name="accumulateDx"/>; dgamma and dbeta accumulate.
    /// </summary>
    public static void LayerNormBackwardInto(Tensor x, Tensor gamma, LayerNormStats stats, Tensor dy, Tensor dx, bool accumulateDx, Tensor dgamma, Tensor dbeta)
    {
        var (rows, cols) = RowsCols("LayerNorm backward", x, gamma);
        RequireGradientTargets("LayerNorm backward", (x, dx));
        x.Backend.LayerNormBackward(x.Contiguous().Reshape(rows, cols), gamma.Contiguous(), stats.Mean, stats.Rstd,
            dy.Contiguous().Reshape(rows, cols), dx.Reshape(rows, cols), accumulateDx, dgamma, dbeta);
    }

    /// <summary>Softmax (or log-softmax) over the last dim.</summary>
    public static Tensor Softmax(Tensor x, bool log = false)
    {
        x.RequireDType("Softmax", DType.Float32);
        int cols = x.Size(-1), rows = (int)(x.Count / Math.Max(cols, 1));
        var y = Empty(DType.Float32, x.Device, x.shape);
        x.Backend.Softmax(x.Contiguous().Reshape(rows, cols), y.Reshape(rows, cols), log);
        return y;
    }

    /// <summary>Backward of <see cref="Softmax"/> from its output.</summary>
    public static Tensor SoftmaxBackward(Tensor y, Tensor dy, bool log = false)
    {
        int cols = y.Size(-1), rows = (int)(y.Count / Math.Max(cols, 1));
        var dx = Empty(DType.Float32, y.Device, y.shape);
        y.Backend.SoftmaxBackward(y.Contiguous().Reshape(rows, cols), dy.Contiguous().Reshape(rows, cols), dx.Reshape(rows, cols), log);
        return dx;
    }

    /// <summary>
    /// Mean cross-entropy of logits (..., C) against integer labels (...), skipping labels equal to
    /// <paramref name="ignoreIndex"/>. Returns the loss, the per-row log-sum-exp (for the backward) and the number of
    /// rows used, all on the logits' device (one-element tensors for loss and count): nothing is read back.
    /// </summary>
    public static (Tensor Loss, Tensor LogSumExp, Tensor Count) CrossEntropy(Tensor logits, Tensor labels, int ignoreIndex = -100)
    {
        var (rows, cols, ids) = CrossEntropyShapes("CrossEntropy", logits, labels);
        var logSumExp = Empty(DType.Float32, logits.Device, rows);
        var loss = Empty(DType.Float32, logits.Device);
        var count = Empty(DType.Float32, logits.Device);
        logits.Backend.CrossEntropy(logits.Contiguous().Reshape(rows, cols), ids, ignoreIndex, logSumExp, loss, count);
        return (loss, logSumExp, count);
    }

    /// <summary>
    /// d(scale * summed CE)/dlogits without a one-hot: scale * (softmax - onehot) on used rows; <paramref name="scale"/>
    /// is a one-element tensor on the logits' device (so a loss gradient never has to visit the host).
    /// </summary>
    public static Tensor CrossEntropyBackward(Tensor logits, Tensor labels, Tensor logSumExp, int ignoreIndex, Tensor scale) =>
        CrossEntropyBackwardInto(logits, labels, logSumExp, ignoreIndex, scale, Empty(DType.Float32, logits.Device, logits.shape));

    /// <summary>
    /// <see cref="CrossEntropyBackward"/> written over the logits themselves (contiguous): the gradient takes the
    /// logits' memory, so a vocabulary-sized loss needs one logits-sized buffer instead of two. The logits are gone
    /// afterwards; returns them, now holding dlogits.
    /// </summary>
    public static Tensor CrossEntropyBackwardInPlace(Tensor logits, Tensor labels, Tensor logSumExp, int ignoreIndex, Tensor scale) =>
        logits.IsContiguous
            ? CrossEntropyBackwardInto(logits, labels, logSumExp, ignoreIndex, scale, logits)
            : throw new ArgumentException($"CrossEntropyBackwardInPlace: the logits ({logits.ShapeString}) must be contiguous to take their gradient in place");

    private static Tensor CrossEntropyBackwardInto(Tensor logits, Tensor labels, Tensor logSumExp, int ignoreIndex, Tensor scale, Tensor dlogits)
    {
        var (rows, cols, ids) = CrossEntropyShapes("CrossEntropy", logits, labels);
        if (scale.Count != 1) throw new ArgumentException($"CrossEntropyBackward: scale must have one element, got shape {scale.ShapeString}");
        logits.Backend.CrossEntropyBackward(logits.Contiguous().Reshape(rows, cols), ids, logSumExp, ignoreIndex, scale.Contiguous(), dlogits.Reshape(rows, cols));
        return dlogits;
    }

    /// <summary>
    /// Per row of <paramref name="logits"/> (..., C), on their device: 1 where the largest logit is at the row's integer
    /// label (ties count), 0 where it is not or the label is ignored (outside [0, C), e.g. -100). Summing them counts
    /// an accuracy's hits without reading anything back; the labels may be on any device.
    /// </summary>
    public static Tensor ArgMaxHits(Tensor logits, Tensor labels)
    {
        var (rows, cols, ids) = CrossEntropyShapes("ArgMaxHits", logits, labels);
        var rowsOfLogits = logits.Contiguous().Reshape(rows, cols);
        var hits = Empty(DType.Float32, logits.Device, rows);
        logits.Backend.ArgMaxHits(rowsOfLogits, ids, rowsOfLogits.Max(-1), hits);
        return hits;
    }

    /// <summary>
    /// An inverted-dropout mask of <paramref name="shape"/> on <paramref name="device"/>: 1/keep with probability
    /// <paramref name="keep"/>, else 0, drawn on the device from the counter-based Philox generator keyed by
    /// <paramref name="seed"/> (the same mask on every device for the same seed). Element i takes the generator's value
    /// number <paramref name="firstIndex"/> + i, so a slice of a batch can draw its part of the whole batch's mask.
    /// </summary>
    public static Tensor DropoutMask(Device device, float keep, ulong seed, long firstIndex, params int[] shape)
    {
        if (!(keep > 0f && keep <= 1f)) throw new ArgumentOutOfRangeException(nameof(keep), keep, "DropoutMask: the keep probability must be in (0, 1]");
        var mask = Empty(DType.Float32, device, shape);
        device.Backend.DropoutMask(mask, keep, seed, firstIndex);
        return mask;
    }

    /// <summary>
    /// Rows of <paramref name="table"/> (V, d) picked by integer ids of any shape: result (..., d). The ids may be on
    /// any device; they are copied to the table's.
    /// </summary>
    public static Tensor Embedding(Tensor table, Tensor ids) => GatherRows("Embedding", table, ids, table.Backend.EmbeddingGather);

    /// <summary>Accumulates dy (..., d) into the rows of dtable named by ids.</summary>
    public static void EmbeddingBackward(Tensor dy, Tensor ids, Tensor dtable)
    {
        var flatIds = IndexVector(ids, dtable.Device);
        dtable.Backend.EmbeddingScatterAdd(dy.Contiguous().Reshape(flatIds.Length, dtable.Size(1)), flatIds, dtable);
    }

    /// <summary>
    /// <see cref="Embedding"/> at ids that increase strictly (in row-major order): no two positions share a row, so the
    /// backward (<see cref="SelectIncreasingRowsBackward"/>) needs no sort. An id not above the one before it is an
    /// <see cref="ArgumentOutOfRangeException"/>, raised like an id outside the table.
    /// </summary>
    public static Tensor SelectIncreasingRows(Tensor table, Tensor ids) =>
        GatherRows("SelectIncreasingRows", table, ids, table.Backend.SelectIncreasingRows);

    /// <summary>
    /// The backward of <see cref="SelectIncreasingRows"/>: dtable's rows at the ids become dy's rows (added onto them
    /// with <paramref name="accumulate"/>), and its other rows 0 (kept with <paramref name="accumulate"/>).
    /// </summary>
    public static void SelectIncreasingRowsBackward(Tensor dy, Tensor ids, Tensor dtable, bool accumulate)
    {
        dtable.RequireRank("SelectIncreasingRowsBackward", 2);
        var flatIds = IndexVector(ids, dtable.Device);
        RequireFewerIdsThanRows("SelectIncreasingRowsBackward", flatIds, dtable);
        dtable.Backend.ScatterIncreasingRows(dy.Contiguous().Reshape(flatIds.Length, dtable.Size(1)), flatIds, dtable, accumulate);
    }

    /// <summary>The rows of a (V, d) table at ids of any shape, result (..., d), by <paramref name="gather"/> (table, flat ids, flat result).</summary>
    private static Tensor GatherRows(string op, Tensor table, Tensor ids, Action<Tensor, Tensor, Tensor> gather)
    {
        table.RequireRank(op, 2);
        var flatIds = IndexVector(ids, table.Device);
        var y = Empty(DType.Float32, table.Device, [.. ids.shape, table.Size(1)]);
        gather(table.Contiguous(), flatIds, y.Reshape(flatIds.Length, table.Size(1)));
        return y;
    }

    /// <summary>Strictly increasing ids within a table cannot outnumber its rows (the device kernels rely on it).</summary>
    private static void RequireFewerIdsThanRows(string op, Tensor flatIds, Tensor table)
    {
        if (flatIds.Length > table.Size(0))
            throw new ArgumentOutOfRangeException("ids", $"{op}: {flatIds.Length} strictly increasing ids cannot all lie in the table's {table.Size(0)} rows");
    }

    /// <summary>One AdamW step on a parameter in place.</summary>
    public static void AdamWStep(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, float weightDecay, int step)
    {
        RequireSameShape("AdamW", param, grad);
        param.Backend.AdamWStep(param, grad.Contiguous(), m, v, lr, beta1, beta2, eps, weightDecay, step);
    }

    private static (int Rows, int Cols) RowsCols(string op, Tensor x, Tensor vector)
    {
        x.RequireDType(op, DType.Float32);
        int cols = x.Size(-1);
        RequireVector(op, vector, cols);
        return ((int)(x.Count / Math.Max(cols, 1)), cols);
    }

    private static void RequireVector(string op, Tensor v, int length)
    {
        if (v.Rank != 1 || v.Size(0) != length)
            throw new ArgumentException($"{op}: expected a ({length}) vector for the last dimension but got {v.ShapeString}");
    }

    private static (int Rows, int Cols, Tensor Ids) CrossEntropyShapes(string op, Tensor logits, Tensor labels)
    {
        logits.RequireDType(op, DType.Float32);
        int cols = logits.Size(-1), rows = (int)(logits.Count / Math.Max(cols, 1));
        if (labels.Count != rows)
            throw new ArgumentException($"{op}: logits {logits.ShapeString} need {rows} labels but labels have shape {labels.ShapeString}");
        return (rows, cols, IndexVector(labels, logits.Device));
    }

    /// <summary>Integer ids or labels as a flat contiguous int32 vector on <paramref name="device"/>.</summary>
    private static Tensor IndexVector(Tensor indices, Device device) => indices.ToInt32().To(device).Contiguous().Reshape(-1);
}
