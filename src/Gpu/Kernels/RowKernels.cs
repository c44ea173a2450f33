using ILGPU;
using ILGPU.Algorithms;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// Kernels with one group per output row (Grid.IdxX = row): the group's threads stride over the row's columns and
/// combine with <see cref="GroupReduce"/>. Reductions along an axis, LayerNorm, softmax and cross-entropy.
/// </summary>
public static class RowKernels
{
    /// <summary>Codes of the reductions, as <c>ReduceKind</c> declares them.</summary>
    public const int Sum = 0, Mean = 1, Max = 2;

    /// <summary>x viewed as (outer, axis, inner) into y (outer, inner); group g computes y[g].</summary>
    public static void ReduceAxis(ArrayView<float> x, int kind, int axis, int inner, ArrayView<float> y)
    {
        int output = Grid.IdxX, o = output / inner, i = output % inner;
        long first = (long)o * axis * inner + i;
        if (kind == Max)
        {
            float best = float.NegativeInfinity;
            for (int a = Group.IdxX; a < axis; a += Group.DimX) best = XMath.Max(best, x[first + (long)a * inner]);
            best = GroupReduce.Max(best);
            if (Group.IdxX == 0) y[output] = best;
            return;
        }
        float total = 0f;
        for (int a = Group.IdxX; a < axis; a += Group.DimX) total += x[first + (long)a * inner];
        total = GroupReduce.Sum(total);
        if (Group.IdxX == 0) y[output] = kind == Mean ? total / axis : total;
    }

    /// <summary>
    /// dst (+=) src summed over the dims where dst has size 1: <paramref name="kept"/> has dst's shape with src's
    /// strides (dst's flat index to the first contributing src element), <paramref name="reduced"/> walks the
    /// contributing elements. One thread per dst element (auto-grouped).
    /// </summary>
    public static void ReduceToShape(Index1D d, ArrayView<float> source, StridedView kept, StridedView reduced, int reducedCount, ArrayView<float> destination)
    {
        int first = kept.Index(d);
        float total = 0f;
        for (int j = 0; j < reducedCount; j++) total += source[first + reduced.Index(j)];
        destination[d] += total;
    }

    /// <summary>mean = sum x / n; rstd = 1 / sqrt(sum (x - mean)^2 / n + eps); y = (x - mean) rstd gamma + beta.</summary>
    public static void LayerNorm(ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta, int cols, float eps,
        ArrayView<float> y, ArrayView<float> mean, ArrayView<float> rstd)
    {
        int row = Grid.IdxX;
        long first = (long)row * cols;
        float sum = 0f;
        for (int c = Group.IdxX; c < cols; c += Group.DimX) sum += x[first + c];
        float mu = GroupReduce.Sum(sum) / cols;
        float squares = 0f;
        for (int c = Group.IdxX; c < cols; c += Group.DimX) squares += (x[first + c] - mu) * (x[first + c] - mu);
        float r = 1f / XMath.Sqrt(GroupReduce.Sum(squares) / cols + eps);
        for (int c = Group.IdxX; c < cols; c += Group.DimX) y[first + c] = (x[first + c] - mu) * r * gamma[c] + beta[c];
        if (Group.IdxX != 0) return;
        mean[row] = mu;
        rstd[row] = r;
    }

    /// <summary>
    /// With xhat = (x - mean) rstd and g = gamma dy: dx = rstd (g - mean_c(g) - xhat mean_c(g xhat)), added onto dx
    /// when <paramref name="accumulate"/> is 1 (another consumer's share of x's gradient). dgamma and dbeta come from
    /// <see cref="ColumnTileKernels.LayerNormParameterGradients"/>.
    /// </summary>
    public static void LayerNormBackward(ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> mean, ArrayView<float> rstd,
        ArrayView<float> dy, int cols, int accumulate, ArrayView<float> dx)
    {
        int row = Grid.IdxX;
        long first = (long)row * cols;
        float mu = mean[row], r = rstd[row];
        float sumG = 0f, sumGXhat = 0f;
        for (int c = Group.IdxX; c < cols; c += Group.DimX)
        {
            float g = gamma[c] * dy[first + c];
            sumG += g;
            sumGXhat += g * (x[first + c] - mu) * r;
        }
        float meanG = GroupReduce.Sum(sumG) / cols;
        float meanGXhat = GroupReduce.Sum(sumGXhat) / cols;
        for (int c = Group.IdxX; c < cols; c += Group.DimX)
        {
            float prior = accumulate != 0 ? dx[first + c] : 0f;
            dx[first + c] = prior + r * (gamma[c] * dy[first + c] - meanG - (x[first + c] - mu) * r * meanGXhat);
        }
    }

    /// <summary>softmax: y = exp(x - lse); log-softmax: y = x - lse (lse = log sum exp of the row).</summary>
    public static void Softmax(ArrayView<float> x, int cols, int logOutput, ArrayView<float> y)
    {
        long first = (long)Grid.IdxX * cols;
        float lse = RowLogSumExp(x, first, cols);
        for (int c = Group.IdxX; c < cols; c += Group.DimX)
            y[first + c] = logOutput != 0 ? x[first + c] - lse : XMath.Exp(x[first + c] - lse);
    }

    /// <summary>softmax: dx = y (dy - sum y dy); log-softmax: dx = dy - exp(y) sum dy.</summary>
    public static void SoftmaxBackward(ArrayView<float> y, ArrayView<float> dy, int cols, int logOutput, ArrayView<float> dx)
    {
        long first = (long)Grid.IdxX * cols;
        float partial = 0f;
        for (int c = Group.IdxX; c < cols; c += Group.DimX) partial += logOutput != 0 ? dy[first + c] : y[first + c] * dy[first + c];
        float total = GroupReduce.Sum(partial);
        for (int c = Group.IdxX; c < cols; c += Group.DimX)
            dx[first + c] = logOutput != 0 ? dy[first + c] - XMath.Exp(y[first + c]) * total : y[first + c] * (dy[first + c] - total);
    }

    /// <summary>
    /// Per row: lse = log sum exp(logits); lossRows = lse - logits[label], or 0 when label is the ignore index. A label
    /// outside [0, cols) is reported through <paramref name="errors"/> (and its row's loss is 0).
    /// </summary>
    public static void CrossEntropyRows(ArrayView<float> logits, ArrayView<int> labels, int cols, int ignoreIndex,
        ArrayView<float> logSumExp, ArrayView<float> lossRows, ArrayView<int> errors)
    {
        int row = Grid.IdxX;
        long first = (long)row * cols;
        float lse = RowLogSumExp(logits, first, cols);
        if (Group.IdxX != 0) return;
        int label = labels[row];
        logSumExp[row] = lse;
        bool valid = label >= 0 && label < cols;
        if (!valid && label != ignoreIndex) DeviceErrors.Report(errors, DeviceErrors.LabelOutOfRange, row, label, cols);
        lossRows[row] = valid && label != ignoreIndex ? lse - logits[first + label] : 0f;
    }

    /// <summary>
    /// One group: loss[0] = sum of lossRows / count (0 when count is 0) and count[0] = rows whose label is not the ignore
    /// index, both summed in a fixed order (deterministic).
    /// </summary>
    public static void CrossEntropyMean(ArrayView<float> lossRows, ArrayView<int> labels, int rows, int ignoreIndex,
        ArrayView<float> loss, ArrayView<float> count)
    {
        float total = 0f, used = 0f;
        for (int r = Group.IdxX; r < rows; r += Group.DimX)
        {
            total += lossRows[r];
            used += labels[r] != ignoreIndex ? 1f : 0f;
        }
        total = GroupReduce.Sum(total);
        used = GroupReduce.Sum(used);
        if (Group.IdxX != 0) return;
        loss[0] = used > 0f ? total / used : 0f;
        count[0] = used;
    }

    /// <summary>dlogits = scale[0] (exp(logits - lse) - onehot(label)) on used rows, 0 on ignored rows (auto-grouped).</summary>
    public static void CrossEntropyBackward(Index1D i, ArrayView<float> logits, ArrayView<int> labels, ArrayView<float> logSumExp,
        int cols, int ignoreIndex, ArrayView<float> scale, ArrayView<float> dlogits)
    {
        int row = i / cols, col = i % cols, label = labels[row];
        dlogits[i] = label == ignoreIndex || label < 0 || label >= cols
            ? 0f
            : scale[0] * (XMath.Exp(logits[i] - logSumExp[row]) - (col == label ? 1f : 0f));
    }

    /// <summary>log sum_c exp(x[first + c]) of one row, stably: max + log sum exp(x - max); the same value in every thread.</summary>
    private static float RowLogSumExp(ArrayView<float> x, long first, int cols)
    {
        float best = float.NegativeInfinity;
        for (int c = Group.IdxX; c < cols; c += Group.DimX) best = XMath.Max(best, x[first + c]);
        best = GroupReduce.Max(best);
        float sum = 0f;
        for (int c = Group.IdxX; c < cols; c += Group.DimX) sum += XMath.Exp(x[first + c] - best);
        return best + XMath.Log(GroupReduce.Sum(sum));
    }
}
