namespace BiGS.Native.Kernels.Cpu;

/// <summary>Elementwise functions of one tensor.</summary>
public enum UnaryOp
{
    /// <summary>-x</summary>
    Neg,
    /// <summary>|x|</summary>
    Abs,
    /// <summary>e^x</summary>
    Exp,
    /// <summary>ln x</summary>
    Log,
    /// <summary>sqrt(x)</summary>
    Sqrt,
    /// <summary>1/sqrt(x)</summary>
    Rsqrt,
    /// <summary>x^2</summary>
    Square,
    /// <summary>1/x</summary>
    Reciprocal,
    /// <summary>tanh(x)</summary>
    Tanh,
    /// <summary>1/(1 + e^-x)</summary>
    Sigmoid,
    /// <summary>max(x, 0)</summary>
    Relu,
    /// <summary>GELU, tanh approximation (see <see cref="GeluKind.Tanh"/>).</summary>
    GeluTanh,
    /// <summary>GELU, exact erf form (see <see cref="GeluKind.Erf"/>).</summary>
    GeluErf,
}

/// <summary>Elementwise functions of two tensors.</summary>
public enum BinaryOp
{
    /// <summary>a + b</summary>
    Add,
    /// <summary>a - b</summary>
    Sub,
    /// <summary>a * b</summary>
    Mul,
    /// <summary>a / b</summary>
    Div,
    /// <summary>max(a, b)</summary>
    Max,
    /// <summary>min(a, b)</summary>
    Min,
}

/// <summary>
/// Elementwise kernels on contiguous float spans (SIMD, multi-threaded for large spans), including
/// broadcasting binary ops over strided views. Outputs may alias inputs element for element (in place).
/// </summary>
public static class Elementwise
{
    /// <summary>y = f(x) for the unary function <paramref name="op"/>.</summary>
    public static void Unary(UnaryOp op, ReadOnlySpan<float> x, Span<float> y)
    {
        KernelArguments.RequireLength(nameof(y), y.Length, x.Length, $"x of length {x.Length}");
        switch (op)
        {
            case UnaryOp.Neg: SimdLoops.MapParallel(new NegOp(), x, y); break;
            case UnaryOp.Abs: SimdLoops.MapParallel(new AbsOp(), x, y); break;
            case UnaryOp.Exp: SimdLoops.MapParallel(new ExpOp(), x, y); break;
            case UnaryOp.Log: SimdLoops.MapParallel(new LogOp(), x, y); break;
            case UnaryOp.Sqrt: SimdLoops.MapParallel(new SqrtOp(), x, y); break;
            case UnaryOp.Rsqrt: SimdLoops.MapParallel(new RsqrtOp(), x, y); break;
            case UnaryOp.Square: SimdLoops.MapParallel(new SquareOp(), x, y); break;
            case UnaryOp.Reciprocal: SimdLoops.MapParallel(new ReciprocalOp(), x, y); break;
            case UnaryOp.Tanh: SimdLoops.MapParallel(new TanhOp(), x, y); break;
            case UnaryOp.Sigmoid: SimdLoops.MapParallel(new SigmoidOp(), x, y); break;
            case UnaryOp.Relu: SimdLoops.MapParallel(new ReluOp(), x, y); break;
            case UnaryOp.GeluTanh: SimdLoops.MapParallel(new GeluOperator<GeluTanh>(), x, y); break;
            case UnaryOp.GeluErf: SimdLoops.MapParallel(new GeluOperator<GeluErf>(), x, y); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "unknown unary op");
        }
    }

    /// <summary>
    /// dx = dy * f'(x) for the unary function <paramref name="op"/>; <paramref name="y"/> is the forward output f(x),
    /// which exp, sqrt, rsqrt, reciprocal, tanh and sigmoid use instead of recomputing it.
    /// </summary>
    public static void UnaryBackward(UnaryOp op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        string expected = $"x of length {x.Length}";
        KernelArguments.RequireLength(nameof(y), y.Length, x.Length, expected);
        KernelArguments.RequireLength(nameof(dy), dy.Length, x.Length, expected);
        KernelArguments.RequireLength(nameof(dx), dx.Length, x.Length, expected);
        switch (op)
        {
            case UnaryOp.Neg: SimdLoops.MapParallel(new NegBackward(), x, y, dy, dx); break;
            case UnaryOp.Abs: SimdLoops.MapParallel(new AbsBackward(), x, y, dy, dx); break;
            case UnaryOp.Exp: SimdLoops.MapParallel(new ExpBackward(), x, y, dy, dx); break;
            case UnaryOp.Log: SimdLoops.MapParallel(new LogBackward(), x, y, dy, dx); break;
            case UnaryOp.Sqrt: SimdLoops.MapParallel(new SqrtBackward(), x, y, dy, dx); break;
            case UnaryOp.Rsqrt: SimdLoops.MapParallel(new RsqrtBackward(), x, y, dy, dx); break;
            case UnaryOp.Square: SimdLoops.MapParallel(new SquareBackward(), x, y, dy, dx); break;
            case UnaryOp.Reciprocal: SimdLoops.MapParallel(new ReciprocalBackward(), x, y, dy, dx); break;
            case UnaryOp.Tanh: SimdLoops.MapParallel(new TanhBackward(), x, y, dy, dx); break;
            case UnaryOp.Sigmoid: SimdLoops.MapParallel(new SigmoidBackward(), x, y, dy, dx); break;
            case UnaryOp.Relu: SimdLoops.MapParallel(new ReluBackward(), x, y, dy, dx); break;
            case UnaryOp.GeluTanh: SimdLoops.MapParallel(new GeluBackwardOperator<GeluTanh>(), x, dy, dx); break;
            case UnaryOp.GeluErf: SimdLoops.MapParallel(new GeluBackwardOperator<GeluErf>(), x, dy, dx); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "unknown unary op");
        }
    }

    /// <summary>y = a op b elementwise (equal lengths).</summary>
    public static void Binary(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        KernelArguments.RequireLength(nameof(b), b.Length, a.Length, $"a of length {a.Length}");
        KernelArguments.RequireLength(nameof(y), y.Length, a.Length, $"a of length {a.Length}");
        var run = new ContiguousBinary(a, b, y);
        BinaryOperators.Dispatch(op, ref run);
    }

    /// <summary>y = a op b with a scalar right operand.</summary>
    public static void BinaryScalar(BinaryOp op, ReadOnlySpan<float> a, float b, Span<float> y)
    {
        KernelArguments.RequireLength(nameof(y), y.Length, a.Length, $"a of length {a.Length}");
        var run = new WithScalar(a, b, scalarOnLeft: false, y);
        BinaryOperators.Dispatch(op, ref run);
    }

    /// <summary>y = a op b with a scalar left operand.</summary>
    public static void ScalarBinary(BinaryOp op, float a, ReadOnlySpan<float> b, Span<float> y)
    {
        KernelArguments.RequireLength(nameof(y), y.Length, b.Length, $"b of length {b.Length}");
        var run = new WithScalar(b, a, scalarOnLeft: true, y);
        BinaryOperators.Dispatch(op, ref run);
    }

    /// <summary>
    /// Broadcasting y = a op b: y is contiguous with <paramref name="shape"/>; element (i0..ik) of a is
    /// a[aOffset + sum_j i_j*aStrides[j]] (stride 0 on broadcast dimensions, negative strides allowed); same for b.
    /// </summary>
    public static void BinaryStrided(BinaryOp op, ReadOnlySpan<int> shape,
        ReadOnlySpan<float> a, int aOffset, ReadOnlySpan<int> aStrides,
        ReadOnlySpan<float> b, int bOffset, ReadOnlySpan<int> bStrides, Span<float> y)
    {
        KernelArguments.RequireLength(nameof(y), y.Length, StridedPlan.ElementCount(shape),
            $"shape [{string.Join(", ", shape.ToArray())}]");
        StridedPlan.RequireViewInside(nameof(a), a.Length, aOffset, shape, aStrides);
        StridedPlan.RequireViewInside(nameof(b), b.Length, bOffset, shape, bStrides);
        if (y.IsEmpty) return;
        var plan = new StridedPlan(shape, aStrides.ToArray(), bStrides.ToArray(), StridedPlan.ContiguousStrides(shape));
        var run = new StridedBinary(plan, a, aOffset, b, bOffset, y);
        BinaryOperators.Dispatch(op, ref run);
    }

    /// <summary>y = a*b + c elementwise.</summary>
    public static void MultiplyAdd(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> y)
    {
        string expected = $"a of length {a.Length}";
        KernelArguments.RequireLength(nameof(b), b.Length, a.Length, expected);
        KernelArguments.RequireLength(nameof(c), c.Length, a.Length, expected);
        KernelArguments.RequireLength(nameof(y), y.Length, a.Length, expected);
        SimdLoops.MapParallel(new MultiplyAddOp(), a, b, c, y);
    }

    /// <summary>y += alpha * x (axpy).</summary>
    public static void AddScaled(ReadOnlySpan<float> x, float alpha, Span<float> y)
    {
        KernelArguments.RequireLength(nameof(y), y.Length, x.Length, $"x of length {x.Length}");
        SimdLoops.MapParallel(new AxpyOp(alpha), x, y, y);
    }

    /// <summary>y = alpha * x.</summary>
    public static void Scale(ReadOnlySpan<float> x, float alpha, Span<float> y) =>
        BinaryScalar(BinaryOp.Mul, x, alpha, y);

    /// <summary>Sets every element of y to <paramref name="value"/>.</summary>
    public static void Fill(Span<float> y, float value) => y.Fill(value);

    /// <summary>y = min(max(x, min), max); requires min &lt;= max.</summary>
    public static void Clamp(ReadOnlySpan<float> x, float min, float max, Span<float> y)
    {
        KernelArguments.RequireLength(nameof(y), y.Length, x.Length, $"x of length {x.Length}");
        if (!(min <= max))
            throw new ArgumentException($"clamp needs min <= max, got min {min} and max {max}", nameof(min));
        SimdLoops.MapParallel(new ClampOp(min, max), x, y);
    }

    // ---- unary forward operators ----
    private readonly struct NegOp : IUnaryOperator { public TLanes Invoke<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> => -x; }
    private readonly struct AbsOp : IUnaryOperator { public TLanes Invoke<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> => TLanes.Abs(x); }
    private readonly struct ExpOp : IUnaryOperator { public TLanes Invoke<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> => TLanes.Exp(x); }
    private readonly struct LogOp : IUnaryOperator { public TLanes Invoke<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> => TLanes.Log(x); }
    private readonly struct SqrtOp : IUnaryOperator { public TLanes Invoke<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> => TLanes.Sqrt(x); }
    private readonly struct RsqrtOp : IUnaryOperator { public TLanes Invoke<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> => TLanes.Broadcast(1f) / TLanes.Sqrt(x); }
    private readonly struct SquareOp : IUnaryOperator { public TLanes Invoke<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> => x * x; }
    private readonly struct ReciprocalOp : IUnaryOperator { public TLanes Invoke<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> => TLanes.Broadcast(1f) / x; }
    private readonly struct TanhOp : IUnaryOperator { public TLanes Invoke<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> => SimdMath.Tanh(x); }
    private readonly struct SigmoidOp : IUnaryOperator { public TLanes Invoke<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> => SimdMath.Sigmoid(x); }
    private readonly struct ReluOp : IUnaryOperator { public TLanes Invoke<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> => TLanes.Max(x, TLanes.Broadcast(0f)); }

    private readonly struct ClampOp(float min, float max) : IUnaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> =>
            TLanes.Min(TLanes.Max(x, TLanes.Broadcast(min)), TLanes.Broadcast(max));
    }

    // ---- unary backward operators: (x, y = f(x), dy) -> dx = dy * f'(x) ----
    private readonly struct NegBackward : ITernaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes x, TLanes y, TLanes dy) where TLanes : struct, ILaneVector<TLanes> => -dy;
    }

    /// <summary>d|x|/dx = sign(x), taken as 0 at x = 0.</summary>
    private readonly struct AbsBackward : ITernaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes x, TLanes y, TLanes dy) where TLanes : struct, ILaneVector<TLanes>
        {
            var zero = TLanes.Broadcast(0f);
            return TLanes.Select(TLanes.GreaterThan(x, zero), dy, zero) - TLanes.Select(TLanes.LessThan(x, zero), dy, zero);
        }
    }

    /// <summary>d e^x = e^x = y.</summary>
    private readonly struct ExpBackward : ITernaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes x, TLanes y, TLanes dy) where TLanes : struct, ILaneVector<TLanes> => dy * y;
    }

    /// <summary>d ln x = 1/x.</summary>
    private readonly struct LogBackward : ITernaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes x, TLanes y, TLanes dy) where TLanes : struct, ILaneVector<TLanes> => dy / x;
    }

    /// <summary>d sqrt(x) = 1/(2 sqrt x) = 0.5/y.</summary>
    private readonly struct SqrtBackward : ITernaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes x, TLanes y, TLanes dy) where TLanes : struct, ILaneVector<TLanes> => TLanes.Broadcast(0.5f) * dy / y;
    }

    /// <summary>d x^(-1/2) = -0.5 x^(-3/2) = -0.5 y^3.</summary>
    private readonly struct RsqrtBackward : ITernaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes x, TLanes y, TLanes dy) where TLanes : struct, ILaneVector<TLanes> => TLanes.Broadcast(-0.5f) * dy * y * y * y;
    }

    /// <summary>d x^2 = 2x.</summary>
    private readonly struct SquareBackward : ITernaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes x, TLanes y, TLanes dy) where TLanes : struct, ILaneVector<TLanes> => TLanes.Broadcast(2f) * dy * x;
    }

    /// <summary>d (1/x) = -1/x^2 = -y^2.</summary>
    private readonly struct ReciprocalBackward : ITernaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes x, TLanes y, TLanes dy) where TLanes : struct, ILaneVector<TLanes> => -dy * y * y;
    }

    /// <summary>d tanh(x) = 1 - tanh^2 = 1 - y^2.</summary>
    private readonly struct TanhBackward : ITernaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes x, TLanes y, TLanes dy) where TLanes : struct, ILaneVector<TLanes> => dy * (TLanes.Broadcast(1f) - y * y);
    }

    /// <summary>d sigmoid(x) = y (1 - y).</summary>
    private readonly struct SigmoidBackward : ITernaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes x, TLanes y, TLanes dy) where TLanes : struct, ILaneVector<TLanes> => dy * y * (TLanes.Broadcast(1f) - y);
    }

    /// <summary>d relu(x) = [x &gt; 0].</summary>
    private readonly struct ReluBackward : ITernaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes x, TLanes y, TLanes dy) where TLanes : struct, ILaneVector<TLanes> =>
            TLanes.Select(TLanes.GreaterThan(x, TLanes.Broadcast(0f)), dy, TLanes.Broadcast(0f));
    }

    // ---- other elementwise operators ----
    private readonly struct MultiplyAddOp : ITernaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes a, TLanes b, TLanes c) where TLanes : struct, ILaneVector<TLanes> => TLanes.MulAdd(a, b, c);
    }

    /// <summary>(x, y) -&gt; alpha x + y.</summary>
    private readonly struct AxpyOp(float alpha) : IBinaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes x, TLanes y) where TLanes : struct, ILaneVector<TLanes> => TLanes.MulAdd(TLanes.Broadcast(alpha), x, y);
    }

    // ---- the three shapes a binary op runs in ----
    private readonly ref struct ContiguousBinary(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) : IBinaryOperatorConsumer
    {
        private readonly ReadOnlySpan<float> a = a;
        private readonly ReadOnlySpan<float> b = b;
        private readonly Span<float> y = y;

        public void Run<TOp>(TOp op) where TOp : struct, IBinaryOperator => SimdLoops.MapParallel(op, a, b, y);
    }

    private readonly ref struct WithScalar(ReadOnlySpan<float> x, float scalar, bool scalarOnLeft, Span<float> y) : IBinaryOperatorConsumer
    {
        private readonly ReadOnlySpan<float> x = x;
        private readonly Span<float> y = y;

        public void Run<TOp>(TOp op) where TOp : struct, IBinaryOperator
        {
            if (scalarOnLeft) SimdLoops.MapParallel(new ScalarLeft<TOp>(op, scalar), x, y);
            else SimdLoops.MapParallel(new ScalarRight<TOp>(op, scalar), x, y);
        }
    }

    private readonly ref struct StridedBinary(StridedPlan plan, ReadOnlySpan<float> a, int aOffset, ReadOnlySpan<float> b, int bOffset, Span<float> y)
        : IBinaryOperatorConsumer
    {
        private readonly ReadOnlySpan<float> a = a;
        private readonly ReadOnlySpan<float> b = b;
        private readonly Span<float> y = y;

        public unsafe void Run<TOp>(TOp op) where TOp : struct, IBinaryOperator
        {
            if (plan.RowCount == 1)
            {
                BinaryOperators.StridedRow(op, a, aOffset, plan.RowStride(0), b, bOffset, plan.RowStride(1), y, parallel: true);
                return;
            }
            fixed (float* pa = a, pb = b, py = y)
            {
                var @as = new RawSpan<float>(pa, a.Length);
                var bs = new RawSpan<float>(pb, b.Length);
                var ys = new RawSpan<float>(py, y.Length);
                var p = plan;
                int aBase = aOffset, bBase = bOffset, n = plan.RowLength;
                CpuParallel.ForBlocks(p.RowCount, SimdLoops.RowsPerBlock(n), (begin, end) =>
                {
                    for (int row = begin; row < end; row++)
                        BinaryOperators.StridedRow(op,
                            @as.All, aBase + p.RowOffset(0, row), p.RowStride(0),
                            bs.All, bBase + p.RowOffset(1, row), p.RowStride(1),
                            ys.Slice(row * n, n), parallel: false);
                });
            }
        }
    }
}
