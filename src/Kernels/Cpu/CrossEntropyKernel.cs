namespace BiGS.Native.Kernels.Cpu;

/// <summary>Softmax cross-entropy over (rows, cols) logits with integer labels and an ignore index (MLM loss).</summary>
public static class CrossEntropyKernel
{
    /// <summary>
    /// Mean over rows whose label != ignoreIndex of logsumexp(logits[r]) - logits[r, label[r]]. Writes logSumExp (rows)
    /// for the backward; count = number of rows used (loss 0 when count == 0).
    /// </summary>
    public static unsafe float Forward(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int rows, int cols, int ignoreIndex,
        Span<float> logSumExp, out int count)
    {
        RequireArguments(logits, labels, rows, cols, ignoreIndex);
        KernelArguments.RequireLength(nameof(logSumExp), logSumExp.Length, rows, $"{rows} rows");
        fixed (float* pl = logits, pz = logSumExp)
        {
            var rowsOfLogits = new RawSpan<float>(pl, logits.Length);
            var lse = new RawSpan<float>(pz, logSumExp.Length);
            CpuParallel.ForBlocks(rows, SimdLoops.RowsPerBlock(cols), (begin, end) =>
            {
                for (int r = begin; r < end; r++)
                    lse.All[r] = SoftmaxKernel.LogSumExp(rowsOfLogits.Slice(r * cols, cols));
            });
        }
        // The mean is taken in row order on one thread, so it does not depend on the thread count.
        double total = 0;
        count = 0;
        for (int r = 0; r < rows; r++)
        {
            if (labels[r] == ignoreIndex) continue;
            total += (double)logSumExp[r] - logits[r * cols + labels[r]];
            count++;
        }
        return count == 0 ? 0f : (float)(total / count);
    }

    /// <summary>
    /// dlogits[r,c] = scale * (softmax(logits[r])[c] - [c == label[r]]) for used rows, 0 for ignored rows
    /// (softmax = exp(logits - logSumExp); no one-hot is materialised). Overwrites dlogits.
    /// </summary>
    public static unsafe void Backward(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, ReadOnlySpan<float> logSumExp,
        int rows, int cols, int ignoreIndex, float scale, Span<float> dlogits)
    {
        RequireArguments(logits, labels, rows, cols, ignoreIndex);
        KernelArguments.RequireLength(nameof(logSumExp), logSumExp.Length, rows, $"{rows} rows");
        KernelArguments.RequireMatrix(nameof(dlogits), dlogits.Length, rows, cols);
        fixed (float* pl = logits, pz = logSumExp, pd = dlogits)
        fixed (int* pt = labels)
        {
            var rowsOfLogits = new RawSpan<float>(pl, logits.Length);
            var lse = new RawSpan<float>(pz, logSumExp.Length);
            var gradients = new RawSpan<float>(pd, dlogits.Length);
            var targets = new RawSpan<int>(pt, labels.Length);
            CpuParallel.ForBlocks(rows, SimdLoops.RowsPerBlock(cols), (begin, end) =>
            {
                for (int r = begin; r < end; r++)
                {
                    var gradient = gradients.Slice(r * cols, cols);
                    int label = targets.All[r];
                    if (label == ignoreIndex)
                    {
                        gradient.Clear();
                        continue;
                    }
                    SimdLoops.Map(new ScaledSoftmax(lse.All[r], scale), rowsOfLogits.Slice(r * cols, cols), gradient);
                    gradient[label] -= scale;
                }
            });
        }
    }

    /// <summary>Checks sizes and that every label is ignoreIndex or in [0, cols), before any parallel work.</summary>
    private static void RequireArguments(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int rows, int cols, int ignoreIndex)
    {
        KernelArguments.RequireMatrix(nameof(logits), logits.Length, rows, cols);
        KernelArguments.RequireLength(nameof(labels), labels.Length, rows, $"{rows} rows");
        for (int r = 0; r < rows; r++)
            if (labels[r] != ignoreIndex && (uint)labels[r] >= (uint)cols)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[r],
                    $"label {labels[r]} at row {r} is outside [0, {cols}) and is not the ignore index {ignoreIndex}");
    }

    /// <summary>logit -&gt; scale exp(logit - logSumExp).</summary>
    private readonly struct ScaledSoftmax(float logSumExp, float scale) : IUnaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes logit) where TLanes : struct, ILaneVector<TLanes> =>
            TLanes.Broadcast(scale) * TLanes.Exp(logit - TLanes.Broadcast(logSumExp));
    }
}
