using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Tensors;

namespace BiGS.Native.Autograd;

public static partial class Ops
{
    /// <summary>
    /// LayerNorm over the last dim with the fused backward of the kernel layer, which adds dx onto a gradient x already
    /// holds (a pre-norm block's residual share) rather than handing on a second one to sum.
    /// </summary>
    public static Variable LayerNorm(Variable x, Variable gamma, Variable beta, float eps)
    {
        var (y, stats) = Tensor.LayerNorm(x.Value, gamma.Value, beta.Value, eps);
        return Record("LayerNorm", y, [x, gamma, beta], dy =>
        {
            var dgamma = AddingGradientTarget(gamma);
            var dbeta = AddingGradientTarget(beta);
            var dx = GradientTarget(x, out float dxBeta);
            Tensor.LayerNormBackwardInto(x.Value, gamma.Value, stats, dy, dx, accumulateDx: dxBeta != 0f, dgamma, dbeta);
            return [HandOn(x, dx), HandOn(gamma, dgamma), HandOn(beta, dbeta)];
        }, stats.Mean, stats.Rstd);
    }

    /// <summary>Softmax over the last dim.</summary>
    public static Variable Softmax(Variable x)
    {
        var y = Tensor.Softmax(x.Value);
        return Record("Softmax", y, [x], dy => [Tensor.SoftmaxBackward(y, dy)]);
    }

    /// <summary>Log-softmax over the last dim.</summary>
    public static Variable LogSoftmax(Variable x)
    {
        var y = Tensor.Softmax(x.Value, log: true);
        return Record("LogSoftmax", y, [x], dy => [Tensor.SoftmaxBackward(y, dy, log: true)]);
    }

    /// <summary>
    /// Mean cross-entropy of logits (..., C) against integer labels, ignoring <paramref name="ignoreIndex"/>.
    /// d loss / d logits = (softmax - onehot) / count, computed without a one-hot.
    /// With <paramref name="gradientOverLogits"/> the backward writes d loss / d logits over the logits' value (one
    /// logits-sized buffer instead of two, which matters for a vocabulary-wide output): only for logits computed by an
    /// operation (not a leaf that requires grad), that nothing reads after the backward, with one backward per forward.
    /// </summary>
    public static Variable CrossEntropy(Variable logits, Tensor labels, int ignoreIndex = -100, bool gradientOverLogits = false)
    {
        if (gradientOverLogits && logits.IsLeaf && logits.RequiresGrad)
            throw new ArgumentException("CrossEntropy: the gradient can overwrite only logits an operation computed, not a leaf's value");
        var (loss, logSumExp, count) = Tensor.CrossEntropy(logits.Value, labels, ignoreIndex);
        return Record("CrossEntropy", loss, [logits], dy =>
        {
            // scale = dy / count on the device (count 0 means every row is ignored and dlogits is 0 whatever the scale).
            var scale = dy / Tensor.BinaryScalar(BinaryOp.Max, count, 1f, scalarFirst: false);
            return [gradientOverLogits
                ? Tensor.CrossEntropyBackwardInPlace(logits.Value, labels, logSumExp, ignoreIndex, scale)
                : Tensor.CrossEntropyBackward(logits.Value, labels, logSumExp, ignoreIndex, scale)];
        }, logSumExp, count);
    }

    /// <summary>Mean squared error mean((x - target)^2).</summary>
    public static Variable MseLoss(Variable x, Tensor target) =>
        MeanAll(Square(Sub(x, new Variable(target))));

    /// <summary>
    /// Binary cross-entropy with logits, averaged over every element, in the stable form
    /// max(x,0) - x t + log(1 + e^-|x|) = softplus(x) - x t, with softplus(x) = relu(x) + log(1 + e^-|x|).
    /// </summary>
    public static Variable BceWithLogitsLoss(Variable x, Tensor target)
    {
        var absX = Apply(x, UnaryOp.Abs);
        var softplus = Add(Relu(x), Log(AddScalar(Exp(Scale(absX, -1f)), 1f)));
        return MeanAll(Sub(softplus, Mul(x, new Variable(target))));
    }

    /// <summary>
    /// Rows of the table picked by ids; the backward scatter-adds dy into the table's gradient: straight into a leaf
    /// table's Grad (no table-sized temporary), into new zeros for a computed table.
    /// </summary>
    public static Variable Embedding(Variable table, Tensor ids) =>
        Record("Embedding", Tensor.Embedding(table.Value, ids), [table], dy =>
        {
            var dtable = AddingGradientTarget(table);
            Tensor.EmbeddingBackward(dy, ids, dtable);
            return [HandOn(table, dtable)];
        });

    /// <summary>
    /// Rows of the table at strictly increasing ids (masked positions, default positions 0..L-1): the forward of
    /// <see cref="Embedding"/>, but no two positions share a row, so the backward is one pass and no sort: it writes
    /// a computed table's gradient whole (zeros in the rows not picked, no separate clearing) or adds into a leaf
    /// table's Grad. An id not above the one before it is an <see cref="ArgumentOutOfRangeException"/>.
    /// </summary>
    public static Variable SelectIncreasingRows(Variable table, Tensor ids)
    {
        var idsOnDevice = ids.To(table.Value.Device);
        return Record("SelectIncreasingRows", Tensor.SelectIncreasingRows(table.Value, idsOnDevice), [table], dy =>
        {
            var dtable = GradientTarget(table, out float beta);
            Tensor.SelectIncreasingRowsBackward(dy, idsOnDevice, dtable, accumulate: beta != 0f);
            return [HandOn(table, dtable)];
        }, ReferenceEquals(idsOnDevice, ids) ? [] : [idsOnDevice]); // the copy is the backward's; the caller's ids stay theirs
    }

    /// <summary>
    /// Inverted dropout: zero each element with probability p and scale survivors by 1/(1-p), so the expected
    /// value is unchanged. The identity when p is 0. Inside a <see cref="BatchShard"/> the mask is this shard's
    /// rows of the mask the whole batch would draw (one generator value per element, row-major).
    /// </summary>
    public static Variable Dropout(Variable x, float p, Rng rng)
    {
        if (p <= 0f) return x;
        if (p >= 1f) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be below 1");
        // One draw from the host generator keys the device's counter-based generator: no mask crosses the bus. In a
        // batch shard (data parallelism) the shard's elements take the whole batch's counters from its first row on,
        // so every rank draws exactly the mask a single process would.
        var (before, _) = BatchShard.Current is { } shard ? shard.ValuesAround(x.Shape) : (0L, 0L);
        var mask = Tensor.DropoutMask(x.Value.Device, 1f - p, rng.NextUInt64(), before, x.Value.ShapeArray());
        return Mul(x, new Variable(mask));
    }
}
