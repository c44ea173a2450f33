namespace BiGS.Native.Kernels.Cpu;

/// <summary>
/// Fused bias add + GELU on a (rows, cols) matrix, the activation after every Dense in a BiGS layer; and the backward
/// of a bias add followed by a product with another tensor (the two SSM directions' product, c_f * c_b).
/// </summary>
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

    /// <summary>y[r,c] = gelu(x[r,c] + bias[c]) * gate[r,c]: the activation and the gate product of a gated unit in one pass.</summary>
    public static void GatedForward(GeluKind kind, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, ReadOnlySpan<float> gate,
        int rows, int cols, Span<float> y)
    {
        KernelArguments.RequireMatrix(nameof(x), x.Length, rows, cols);
        KernelArguments.RequireLength(nameof(bias), bias.Length, cols, $"{cols} columns");
        KernelArguments.RequireMatrix(nameof(gate), gate.Length, rows, cols);
        KernelArguments.RequireMatrix(nameof(y), y.Length, rows, cols);
        if (kind == GeluKind.Tanh) MapRows(new GatedBiasGeluOperator<GeluTanh>(), x, bias, gate, rows, cols, y);
        else if (kind == GeluKind.Erf) MapRows(new GatedBiasGeluOperator<GeluErf>(), x, bias, gate, rows, cols, y);
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

    /// <summary>
    /// Backward of the gated pair y = gelu(a + bias) * gelu(g + gateBias), a and g (rows, cols) the two pre-activations,
    /// in one pass over the rows:
    /// <code>
    /// da = dy * gelu(g + gateBias) * gelu'(a + bias)       dbias (+=) column sums of da
    /// dg = dy * gelu(a + bias) * gelu'(g + gateBias)       dGateBias (+=) column sums of dg
    /// </code>
    /// </summary>
    public static void GatedPairBackward(GeluKind kind, GatedPair pair, ReadOnlySpan<float> dy, int rows, int cols,
        Span<float> da, Span<float> dg, Span<float> dbias, Span<float> dGateBias)
    {
        KernelArguments.RequireMatrix("a", pair.A.Length, rows, cols);
        KernelArguments.RequireLength("bias", pair.Bias.Length, cols, $"{cols} columns");
        KernelArguments.RequireMatrix("g", pair.G.Length, rows, cols);
        KernelArguments.RequireLength("gateBias", pair.GateBias.Length, cols, $"{cols} columns");
        KernelArguments.RequireMatrix(nameof(dy), dy.Length, rows, cols);
        KernelArguments.RequireMatrix(nameof(da), da.Length, rows, cols);
        KernelArguments.RequireMatrix(nameof(dg), dg.Length, rows, cols);
        KernelArguments.RequireLength(nameof(dbias), dbias.Length, cols, $"{cols} columns");
        KernelArguments.RequireLength(nameof(dGateBias), dGateBias.Length, cols, $"{cols} columns");
        if (kind == GeluKind.Tanh) GatedPairBackward<GeluTanh>(pair, dy, rows, cols, da, dg);
        else if (kind == GeluKind.Erf) GatedPairBackward<GeluErf>(pair, dy, rows, cols, da, dg);
        else throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown GELU kind");
        Reductions.ColumnSums(da, rows, cols, dbias, accumulate: true);
        Reductions.ColumnSums(dg, rows, cols, dGateBias, accumulate: true);
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

    /// <summary>y[r,c] = op(x[r,c], bias[c], other[r,c]), rows split over the worker threads.</summary>
    private static unsafe void MapRows<TOp>(TOp op, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, ReadOnlySpan<float> other,
        int rows, int cols, Span<float> y) where TOp : struct, ITernaryOperator
    {
        fixed (float* px = x, pb = bias, po = other, py = y)
        {
            var xs = new RawSpan<float>(px, x.Length);
            var biases = new RawSpan<float>(pb, bias.Length);
            var others = new RawSpan<float>(po, other.Length);
            var ys = new RawSpan<float>(py, y.Length);
            CpuParallel.ForBlocks(rows, SimdLoops.RowsPerBlock(cols), (begin, end) =>
            {
                for (int r = begin; r < end; r++)
                    SimdLoops.Map(op, xs.Slice(r * cols, cols), biases.All, others.Slice(r * cols, cols), ys.Slice(r * cols, cols));
            });
        }
    }

    private static unsafe void GatedPairBackward<TGelu>(GatedPair pair, ReadOnlySpan<float> dy, int rows, int cols, Span<float> da, Span<float> dg)
        where TGelu : IGeluFunction
    {
        fixed (float* pa = pair.A, pb = pair.Bias, pg = pair.G, pgb = pair.GateBias, pdy = dy, pda = da, pdg = dg)
        {
            var (@as, biases, gs, gateBiases) = (new RawSpan<float>(pa, da.Length), new RawSpan<float>(pb, cols), new RawSpan<float>(pg, da.Length), new RawSpan<float>(pgb, cols));
            var (dys, das, dgs) = (new RawSpan<float>(pdy, da.Length), new RawSpan<float>(pda, da.Length), new RawSpan<float>(pdg, da.Length));
            CpuParallel.ForBlocks(rows, SimdLoops.RowsPerBlock(cols), (begin, end) =>
            {
                for (int r = begin; r < end; r++)
                {
                    var row = new GatedPair(@as.Slice(r * cols, cols), biases.All, gs.Slice(r * cols, cols), gateBiases.All);
                    if (Lanes.UseWide) GatedPairRow<TGelu, Lanes16>(row, dys.Slice(r * cols, cols), das.Slice(r * cols, cols), dgs.Slice(r * cols, cols));
                    else GatedPairRow<TGelu, Lanes8>(row, dys.Slice(r * cols, cols), das.Slice(r * cols, cols), dgs.Slice(r * cols, cols));
                }
            });
        }
    }

    private static void GatedPairRow<TGelu, TLanes>(GatedPair row, ReadOnlySpan<float> dy, Span<float> da, Span<float> dg)
        where TGelu : IGeluFunction where TLanes : struct, ILaneVector<TLanes>
    {
        for (int i = 0; i < da.Length; i += TLanes.Count)
        {
            int count = Math.Min(TLanes.Count, da.Length - i);
            var a = SimdLoops.LoadAt<TLanes>(row.A, i, count) + SimdLoops.LoadAt<TLanes>(row.Bias, i, count);
            var g = SimdLoops.LoadAt<TLanes>(row.G, i, count) + SimdLoops.LoadAt<TLanes>(row.GateBias, i, count);
            var gradient = SimdLoops.LoadAt<TLanes>(dy, i, count);
            SimdLoops.StoreAt(gradient * TGelu.Value(g) * TGelu.Derivative(a), da, i, count);
            SimdLoops.StoreAt(gradient * TGelu.Value(a) * TGelu.Derivative(g), dg, i, count);
        }
    }

    /// <summary>
    /// Backward of y = (z + bias) * gate, z and gate (rows, cols), in one pass over the rows:
    /// <code>
    /// dz = dy * gate          dbias (+=) column sums of dz          dGate = dy * (z + bias)
    /// </code>
    /// </summary>
    public static void ProductBackward(ReadOnlySpan<float> z, ReadOnlySpan<float> bias, ReadOnlySpan<float> gate, ReadOnlySpan<float> dy,
        int rows, int cols, Span<float> dz, Span<float> dGate, Span<float> dbias)
    {
        KernelArguments.RequireMatrix(nameof(z), z.Length, rows, cols);
        KernelArguments.RequireLength(nameof(bias), bias.Length, cols, $"{cols} columns");
        KernelArguments.RequireMatrix(nameof(gate), gate.Length, rows, cols);
        KernelArguments.RequireMatrix(nameof(dy), dy.Length, rows, cols);
        KernelArguments.RequireMatrix(nameof(dz), dz.Length, rows, cols);
        KernelArguments.RequireMatrix(nameof(dGate), dGate.Length, rows, cols);
        KernelArguments.RequireLength(nameof(dbias), dbias.Length, cols, $"{cols} columns");
        SimdLoops.MapParallel(new BinaryOperators.MulOp(), dy, gate, dz);
        MapRows(new BiasedTimesOperator(), z, bias, dy, rows, cols, dGate);
        Reductions.ColumnSums(dz, rows, cols, dbias, accumulate: true);
    }

    /// <summary>(z, bias, dy) -&gt; (z + bias) dy.</summary>
    private readonly struct BiasedTimesOperator : ITernaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes z, TLanes bias, TLanes dy) where TLanes : struct, ILaneVector<TLanes> => (z + bias) * dy;
    }

    private static void Backward<TOp>(TOp op, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, ReadOnlySpan<float> dy,
        int rows, int cols, Span<float> dx, Span<float> dbias) where TOp : struct, ITernaryOperator
    {
        MapRows(op, x, bias, dy, rows, cols, dx);
        Reductions.ColumnSums(dx, rows, cols, dbias, accumulate: true);
    }
}

/// <summary>
/// The inputs of a gated GELU pair gelu(A + Bias) * gelu(G + GateBias): the two pre-activations (rows, cols), row-major,
/// and their per-column biases (cols).
/// </summary>
public readonly ref struct GatedPair(ReadOnlySpan<float> a, ReadOnlySpan<float> bias, ReadOnlySpan<float> g, ReadOnlySpan<float> gateBias)
{
    /// <summary>Pre-activation of the gated branch, before its bias.</summary>
    public ReadOnlySpan<float> A { get; } = a;

    /// <summary>Bias of the gated branch.</summary>
    public ReadOnlySpan<float> Bias { get; } = bias;

    /// <summary>Pre-activation of the gate, before its bias.</summary>
    public ReadOnlySpan<float> G { get; } = g;

    /// <summary>Bias of the gate.</summary>
    public ReadOnlySpan<float> GateBias { get; } = gateBias;
}
