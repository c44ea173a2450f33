namespace BiGS.Native.Kernels.Cpu;

/// <summary>Softmax and log-softmax over the last axis of a (rows, cols) matrix, with their backwards.</summary>
public static class SoftmaxKernel
{
    /// <summary>y[r, c] = exp(x[r, c] - max_r) / sum_c' exp(x[r, c'] - max_r) (the row max is subtracted first).</summary>
    public static void Softmax(ReadOnlySpan<float> x, int rows, int cols, Span<float> y)
    {
        RequireRows(x, rows, cols, y, nameof(x), nameof(y));
        ForEachRow(x, y, rows, cols, static (input, output) =>
        {
            SimdLoops.Map(new ExpShifted(SimdLoops.Max(input)), input, output);
            float inverseSum = (float)(1.0 / SimdLoops.SumWidened(output));
            SimdLoops.Map(new ScalarRight<BinaryOperators.MulOp>(default, inverseSum), output, output);
        });
    }

    /// <summary>dx = y (dy - sum_c dy y) per row, from the softmax output y.</summary>
    public static void SoftmaxBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int rows, int cols, Span<float> dx)
    {
        RequireRows(y, rows, cols, dx, nameof(y), nameof(dx));
        KernelArguments.RequireMatrix(nameof(dy), dy.Length, rows, cols);
        ForEachRow(y, dy, dx, rows, cols, static (output, gradient, inputGradient) =>
        {
            float dot = (float)SimdLoops.DotWidened(output, gradient);
            SimdLoops.Map(new SoftmaxGradient(dot), output, gradient, inputGradient);
        });
    }

    /// <summary>y[r, c] = x[r, c] - logsumexp(x[r, :]).</summary>
    public static void LogSoftmax(ReadOnlySpan<float> x, int rows, int cols, Span<float> y)
    {
        RequireRows(x, rows, cols, y, nameof(x), nameof(y));
        ForEachRow(x, y, rows, cols, static (input, output) =>
            SimdLoops.Map(new ScalarRight<BinaryOperators.SubOp>(default, LogSumExp(input)), input, output));
    }

    /// <summary>dx = dy - exp(y) sum_c dy per row, from the log-softmax output y.</summary>
    public static void LogSoftmaxBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int rows, int cols, Span<float> dx)
    {
        RequireRows(y, rows, cols, dx, nameof(y), nameof(dx));
        KernelArguments.RequireMatrix(nameof(dy), dy.Length, rows, cols);
        ForEachRow(y, dy, dx, rows, cols, static (output, gradient, inputGradient) =>
        {
            float sum = (float)SimdLoops.SumWidened(gradient);
            SimdLoops.Map(new LogSoftmaxGradient(sum), output, gradient, inputGradient);
        });
    }

    /// <summary>log sum_c exp(x[c]) = max + log sum_c exp(x[c] - max), the sum in double (x not empty).</summary>
    internal static float LogSumExp(ReadOnlySpan<float> x)
    {
        float max = SimdLoops.Max(x);
        return (float)(max + Math.Log(SimdLoops.SumWidened(new ExpShifted(max), x)));
    }

    private static void RequireRows(ReadOnlySpan<float> x, int rows, int cols, Span<float> y, string xName, string yName)
    {
        KernelArguments.RequireMatrix(xName, x.Length, rows, cols);
        KernelArguments.RequireMatrix(yName, y.Length, rows, cols);
    }

    private delegate void RowAction(ReadOnlySpan<float> input, Span<float> output);

    private delegate void RowAction2(ReadOnlySpan<float> first, ReadOnlySpan<float> second, Span<float> output);

    private static unsafe void ForEachRow(ReadOnlySpan<float> x, Span<float> y, int rows, int cols, RowAction action)
    {
        if (cols == 0) return;
        fixed (float* px = x, py = y)
        {
            var xs = new RawSpan<float>(px, x.Length);
            var ys = new RawSpan<float>(py, y.Length);
            CpuParallel.ForBlocks(rows, SimdLoops.RowsPerBlock(cols), (begin, end) =>
            {
                for (int r = begin; r < end; r++)
                    action(xs.Slice(r * cols, cols), ys.Slice(r * cols, cols));
            });
        }
    }

    private static unsafe void ForEachRow(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, int rows, int cols, RowAction2 action)
    {
        if (cols == 0) return;
        fixed (float* pa = a, pb = b, py = y)
        {
            var @as = new RawSpan<float>(pa, a.Length);
            var bs = new RawSpan<float>(pb, b.Length);
            var ys = new RawSpan<float>(py, y.Length);
            CpuParallel.ForBlocks(rows, SimdLoops.RowsPerBlock(cols), (begin, end) =>
            {
                for (int r = begin; r < end; r++)
                    action(@as.Slice(r * cols, cols), bs.Slice(r * cols, cols), ys.Slice(r * cols, cols));
            });
        }
    }

    /// <summary>(y, dy) -&gt; y (dy - dot).</summary>
    private readonly struct SoftmaxGradient(float dot) : IBinaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes y, TLanes dy) where TLanes : struct, ILaneVector<TLanes> => y * (dy - TLanes.Broadcast(dot));
    }

    /// <summary>(y, dy) -&gt; dy - exp(y) sum.</summary>
    private readonly struct LogSoftmaxGradient(float sum) : IBinaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes y, TLanes dy) where TLanes : struct, ILaneVector<TLanes> => dy - TLanes.Exp(y) * TLanes.Broadcast(sum);
    }
}

/// <summary>x -&gt; exp(x - shift).</summary>
internal readonly struct ExpShifted(float shift) : IUnaryOperator
{
    public TLanes Invoke<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> => TLanes.Exp(x - TLanes.Broadcast(shift));
}
