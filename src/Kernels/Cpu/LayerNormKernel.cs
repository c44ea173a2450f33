using System.Buffers;

namespace BiGS.Native.Kernels.Cpu;

/// <summary>
/// LayerNorm over the last axis of a (rows, cols) matrix: y = (x - mean)/sqrt(var + eps) * gamma + beta
/// with the biased variance. Row statistics are accumulated in double.
/// </summary>
public static class LayerNormKernel
{
    /// <summary>
    /// y = (x - mean)/sqrt(var + eps) * gamma + beta over each row; writes mean and rstd = 1/sqrt(var + eps) per row.
    /// </summary>
    public static unsafe void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        int rows, int cols, float eps, Span<float> y, Span<float> mean, Span<float> rstd)
    {
        KernelArguments.RequireMatrix(nameof(x), x.Length, rows, cols);
        KernelArguments.RequireLength(nameof(gamma), gamma.Length, cols, $"{cols} columns");
        KernelArguments.RequireLength(nameof(beta), beta.Length, cols, $"{cols} columns");
        KernelArguments.RequireMatrix(nameof(y), y.Length, rows, cols);
        KernelArguments.RequireLength(nameof(mean), mean.Length, rows, $"{rows} rows");
        KernelArguments.RequireLength(nameof(rstd), rstd.Length, rows, $"{rows} rows");
        RequireColumns(rows, cols);
        fixed (float* px = x, pg = gamma, pb = beta, py = y, pm = mean, pr = rstd)
        {
            var xs = new RawSpan<float>(px, x.Length);
            var gammas = new RawSpan<float>(pg, gamma.Length);
            var betas = new RawSpan<float>(pb, beta.Length);
            var ys = new RawSpan<float>(py, y.Length);
            var means = new RawSpan<float>(pm, mean.Length);
            var rstds = new RawSpan<float>(pr, rstd.Length);
            CpuParallel.ForBlocks(rows, SimdLoops.RowsPerBlock(cols), (begin, end) =>
            {
                for (int r = begin; r < end; r++)
                    (means.All[r], rstds.All[r]) = NormalizeRow(xs.Slice(r * cols, cols), gammas.All, betas.All, eps, ys.Slice(r * cols, cols));
            });
        }
    }

    /// <summary>
    /// Backward of <see cref="Forward"/>: with xhat = (x - mean) rstd and dxhat = dy gamma,
    /// dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) (added onto dx with <paramref name="accumulateDx"/>, else
    /// overwriting it); dgamma (+=) sum_r dy xhat; dbeta (+=) sum_r dy.
    /// </summary>
    public static unsafe void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
        ReadOnlySpan<float> dy, int rows, int cols, Span<float> dx, bool accumulateDx, Span<float> dgamma, Span<float> dbeta)
    {
        KernelArguments.RequireMatrix(nameof(x), x.Length, rows, cols);
        KernelArguments.RequireLength(nameof(gamma), gamma.Length, cols, $"{cols} columns");
        KernelArguments.RequireLength(nameof(mean), mean.Length, rows, $"{rows} rows");
        KernelArguments.RequireLength(nameof(rstd), rstd.Length, rows, $"{rows} rows");
        KernelArguments.RequireMatrix(nameof(dy), dy.Length, rows, cols);
        KernelArguments.RequireMatrix(nameof(dx), dx.Length, rows, cols);
        KernelArguments.RequireLength(nameof(dgamma), dgamma.Length, cols, $"{cols} columns");
        KernelArguments.RequireLength(nameof(dbeta), dbeta.Length, cols, $"{cols} columns");
        RequireColumns(rows, cols);
        fixed (float* px = x, pg = gamma, pm = mean, pr = rstd, pdy = dy, pdx = dx)
        {
            var xs = new RawSpan<float>(px, x.Length);
            var gammas = new RawSpan<float>(pg, gamma.Length);
            var means = new RawSpan<float>(pm, mean.Length);
            var rstds = new RawSpan<float>(pr, rstd.Length);
            var dys = new RawSpan<float>(pdy, dy.Length);
            var dxs = new RawSpan<float>(pdx, dx.Length);
            CpuParallel.ForBlocks(rows, SimdLoops.RowsPerBlock(cols), (begin, end) =>
            {
                // accumulating: each row's gradient goes through a scratch row, then is added onto dx
                var scratch = accumulateDx ? ArrayPool<float>.Shared.Rent(cols) : null;
                for (int r = begin; r < end; r++)
                {
                    var dxRow = dxs.Slice(r * cols, cols);
                    var rowGradient = scratch is null ? dxRow : scratch.AsSpan(0, cols);
                    InputGradientRow(xs.Slice(r * cols, cols), gammas.All, means.All[r], rstds.All[r], dys.Slice(r * cols, cols), rowGradient);
                    if (scratch is not null) SimdLoops.Map(new BinaryOperators.AddOp(), dxRow, rowGradient, dxRow);
                }
                if (scratch is not null) ArrayPool<float>.Shared.Return(scratch);
            });
            // Parameter gradients are column sums over rows: parallel over columns, so no two threads share an entry.
            Reductions.ColumnSums(new GradientTimesXhat(xs, dys, means, rstds, cols), 1, rows, cols, dgamma, scale: 1.0, accumulate: true);
            Reductions.ColumnSums(new MatrixElements(dys, cols), 1, rows, cols, dbeta, scale: 1.0, accumulate: true);
        }
    }

    private static void RequireColumns(int rows, int cols)
    {
        if (rows > 0 && cols == 0)
            throw new ArgumentException($"LayerNorm over rows of 0 columns ({rows}x0) is undefined", nameof(cols));
    }

    /// <summary>
    /// Normalises one row and returns its (mean, rstd). The double mean is split as hi + lo (two floats) and
    /// subtracted in two steps, x - hi - lo: for |x| ~ 1e3 with a small spread, x - hi is exact and the
    /// centring keeps full precision, where subtracting one rounded float mean would not.
    /// </summary>
    private static (float Mean, float Rstd) NormalizeRow(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps, Span<float> y)
    {
        double mean = SimdLoops.SumWidened(x) / x.Length;
        float hi = (float)mean, lo = (float)(mean - hi);
        double variance = SimdLoops.SumWidened(new SquaredDeviation(hi, lo), x) / x.Length;
        float rstd = (float)(1.0 / Math.Sqrt(variance + eps));
        SimdLoops.Map(new Normalize(hi, lo, rstd), x, gamma, beta, y);
        return (hi, rstd);
    }

    /// <summary>dx for one row: rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)).</summary>
    private static void InputGradientRow(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, float mean, float rstd, ReadOnlySpan<float> dy, Span<float> dx)
    {
        var xhat = new Xhat(mean, rstd);
        float meanDxhat = (float)(SimdLoops.SumWidened(new DxhatOp(), x, dy, gamma) / x.Length);
        float meanDxhatXhat = (float)(SimdLoops.SumWidened(new DxhatTimesXhat(xhat), x, dy, gamma) / x.Length);
        SimdLoops.Map(new InputGradient(xhat, meanDxhat, meanDxhatXhat), x, dy, gamma, dx);
    }

    /// <summary>x -&gt; ((x - hi) - lo)^2.</summary>
    private readonly struct SquaredDeviation(float hi, float lo) : IUnaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes>
        {
            var d = x - TLanes.Broadcast(hi) - TLanes.Broadcast(lo);
            return d * d;
        }
    }

    /// <summary>(x, gamma, beta) -&gt; ((x - hi) - lo) rstd gamma + beta.</summary>
    private readonly struct Normalize(float hi, float lo, float rstd) : ITernaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes x, TLanes gamma, TLanes beta) where TLanes : struct, ILaneVector<TLanes> =>
            TLanes.MulAdd((x - TLanes.Broadcast(hi) - TLanes.Broadcast(lo)) * TLanes.Broadcast(rstd), gamma, beta);
    }

    /// <summary>xhat = (x - mean) rstd.</summary>
    private readonly struct Xhat(float mean, float rstd)
    {
        public TLanes Of<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> => (x - TLanes.Broadcast(mean)) * TLanes.Broadcast(rstd);
        public float Rstd => rstd;
    }

    /// <summary>(x, dy, gamma) -&gt; dxhat = dy gamma.</summary>
    private readonly struct DxhatOp : ITernaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes x, TLanes dy, TLanes gamma) where TLanes : struct, ILaneVector<TLanes> => dy * gamma;
    }

    /// <summary>(x, dy, gamma) -&gt; dxhat xhat.</summary>
    private readonly struct DxhatTimesXhat(Xhat xhat) : ITernaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes x, TLanes dy, TLanes gamma) where TLanes : struct, ILaneVector<TLanes> => dy * gamma * xhat.Of(x);
    }

    /// <summary>(x, dy, gamma) -&gt; rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)).</summary>
    private readonly struct InputGradient(Xhat xhat, float meanDxhat, float meanDxhatXhat) : ITernaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes x, TLanes dy, TLanes gamma) where TLanes : struct, ILaneVector<TLanes>
        {
            var centred = dy * gamma - TLanes.Broadcast(meanDxhat);
            return TLanes.Broadcast(xhat.Rstd) * (centred - xhat.Of(x) * TLanes.Broadcast(meanDxhatXhat));
        }
    }

    /// <summary>term(r, c) = dy[r, c] xhat[r, c], the summand of dgamma.</summary>
    private readonly struct GradientTimesXhat(RawSpan<float> x, RawSpan<float> dy, RawSpan<float> mean, RawSpan<float> rstd, int cols) : IMatrixTerm
    {
        public TLanes Load<TLanes>(int row, int col, int count) where TLanes : struct, ILaneVector<TLanes>
        {
            int start = row * cols + col;
            var xhat = new Xhat(mean.All[row], rstd.All[row]).Of(SimdLoops.LoadAt<TLanes>(x.All, start, count));
            return SimdLoops.LoadAt<TLanes>(dy.All, start, count) * xhat;
        }
    }
}
