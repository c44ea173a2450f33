namespace BiGS.Native.Kernels.Cpu;

/// <summary>Fused bias add + GELU on a (rows, cols) matrix, the activation after every Dense in a BiGS layer.</summary>
public static class BiasGelu
{
    /// <summary>y[r,c] = gelu(x[r,c] + bias[c]).</summary>
    public static void Forward(GeluKind kind, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, int rows, int cols, Span<float> y)
    {
        KernelArguments.RequireMatrix(nameof(x), x.Length, rows, cols);
        KernelArguments.RequireLength(nameof(bias), bias.Length, cols, $"{cols} columns");
        KernelArguments.RequireMatrix(nameof(y), y.Length, rows, cols);
        if (kind == GeluKind.Tanh) Forward(new BiasGeluOperator<GeluTanh>(), x, bias, rows, cols, y);
        else if (kind == GeluKind.Erf) Forward(new BiasGeluOperator<GeluErf>(), x, bias, rows, cols, y);
        else throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown GELU kind");
    }

    /// <summary>dx[r,c] = dy[r,c] * gelu'(x[r,c] + bias[c]); dbias[c] (+=) sum_r dx[r,c].</summary>
    public static void Backward(GeluKind kind, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, ReadOnlySpan<float> dy,
        int rows, int cols, Span<float> dx, Span<float> dbias)
    {
        KernelArguments.RequireMatrix(nameof(x), x.Length, rows, cols);
        KernelArguments.RequireLength(nameof(bias), bias.Length, cols, $"{cols} columns");
        KernelArguments.RequireMatrix(nameof(dy), dy.Length, rows, cols);
        KernelArguments.RequireMatrix(nameof(dx), dx.Length, rows, cols);
        KernelArguments.RequireLength(nameof(dbias), dbias.Length, cols, $"{cols} columns");
        if (kind == GeluKind.Tanh) Backward(new BiasGeluBackwardOperator<GeluTanh>(), x, bias, dy, rows, cols, dx, dbias);
        else if (kind == GeluKind.Erf) Backward(new BiasGeluBackwardOperator<GeluErf>(), x, bias, dy, rows, cols, dx, dbias);
        else throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown GELU kind");
    }

    private static unsafe void Forward<TOp>(TOp op, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, int rows, int cols, Span<float> y)
        where TOp : struct, IBinaryOperator
    {
        fixed (float* px = x, pb = bias, py = y)
        {
            var xs = new RawSpan<float>(px, x.Length);
            var biases = new RawSpan<float>(pb, bias.Length);
            var ys = new RawSpan<float>(py, y.Length);
            CpuParallel.ForBlocks(rows, SimdLoops.RowsPerBlock(cols), (begin, end) =>
            {
                for (int r = begin; r < end; r++)
                    SimdLoops.Map(op, xs.Slice(r * cols, cols), biases.All, ys.Slice(r * cols, cols));
            });
        }
    }

    private static unsafe void Backward<TOp>(TOp op, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, ReadOnlySpan<float> dy,
        int rows, int cols, Span<float> dx, Span<float> dbias) where TOp : struct, ITernaryOperator
    {
        fixed (float* px = x, pb = bias, pdy = dy, pdx = dx)
        {
            var xs = new RawSpan<float>(px, x.Length);
            var biases = new RawSpan<float>(pb, bias.Length);
            var dys = new RawSpan<float>(pdy, dy.Length);
            var dxs = new RawSpan<float>(pdx, dx.Length);
            CpuParallel.ForBlocks(rows, SimdLoops.RowsPerBlock(cols), (begin, end) =>
            {
                for (int r = begin; r < end; r++)
                    SimdLoops.Map(op, xs.Slice(r * cols, cols), biases.All, dys.Slice(r * cols, cols), dxs.Slice(r * cols, cols));
            });
            // dbias = column sums of dx, parallel over columns so no two threads touch the same dbias entry.
            Reductions.ColumnSums(new MatrixElements(dxs, cols), 1, rows, cols, dbias, scale: 1.0, accumulate: true);
        }
    }
}
