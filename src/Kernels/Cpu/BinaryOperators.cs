namespace BiGS.Native.Kernels.Cpu;

/// <summary>Something that runs with whichever concrete binary operator a <see cref="BinaryOp"/> names.</summary>
internal interface IBinaryOperatorConsumer
{
    /// <summary>Runs with the operator (a struct, so the loop is specialised for it).</summary>
    void Run<TOp>(TOp op) where TOp : struct, IBinaryOperator;
}

/// <summary>The <see cref="BinaryOp"/> operators, the enum-to-operator switch, and the strided row loop.</summary>
internal static class BinaryOperators
{
    /// <summary>Calls <paramref name="consumer"/> with the operator struct for <paramref name="op"/> (the only switch on BinaryOp).</summary>
    public static void Dispatch<TConsumer>(BinaryOp op, ref TConsumer consumer)
        where TConsumer : IBinaryOperatorConsumer, allows ref struct
    {
        switch (op)
        {
            case BinaryOp.Add: consumer.Run(new AddOp()); break;
            case BinaryOp.Sub: consumer.Run(new SubOp()); break;
            case BinaryOp.Mul: consumer.Run(new MulOp()); break;
            case BinaryOp.Div: consumer.Run(new DivOp()); break;
            case BinaryOp.Max: consumer.Run(new MaxOp()); break;
            case BinaryOp.Min: consumer.Run(new MinOp()); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "unknown binary op");
        }
    }

    /// <summary>
    /// One row y[i] = a[aStart + i*aStride] op b[bStart + i*bStride], i &lt; y.Length: plain SIMD when both strides
    /// are 1, a broadcast scalar when one stride is 0, gathered vectors otherwise.
    /// </summary>
    public static void StridedRow<TOp>(TOp op, ReadOnlySpan<float> a, int aStart, int aStride,
        ReadOnlySpan<float> b, int bStart, int bStride, Span<float> y, bool parallel) where TOp : struct, IBinaryOperator
    {
        int n = y.Length;
        if (aStride == 1 && bStride == 1)
        {
            if (parallel) SimdLoops.MapParallel(op, a.Slice(aStart, n), b.Slice(bStart, n), y);
            else SimdLoops.Map(op, a.Slice(aStart, n), b.Slice(bStart, n), y);
        }
        else if (aStride == 1 && bStride == 0)
        {
            var right = new ScalarRight<TOp>(op, b[bStart]);
            if (parallel) SimdLoops.MapParallel(right, a.Slice(aStart, n), y);
            else SimdLoops.Map(right, a.Slice(aStart, n), y);
        }
        else if (aStride == 0 && bStride == 1)
        {
            var left = new ScalarLeft<TOp>(op, a[aStart]);
            if (parallel) SimdLoops.MapParallel(left, b.Slice(bStart, n), y);
            else SimdLoops.Map(left, b.Slice(bStart, n), y);
        }
        else if (Lanes.UseWide) GatheredRow<TOp, Lanes16>(op, a, aStart, aStride, b, bStart, bStride, y);
        else GatheredRow<TOp, Lanes8>(op, a, aStart, aStride, b, bStart, bStride, y);
    }

    /// <summary><see cref="StridedRow{TOp}"/> for general strides: the operands are gathered into vectors.</summary>
    private static void GatheredRow<TOp, TLanes>(TOp op, ReadOnlySpan<float> a, int aStart, int aStride,
        ReadOnlySpan<float> b, int bStart, int bStride, Span<float> y) where TOp : struct, IBinaryOperator where TLanes : struct, ILaneVector<TLanes>
    {
        for (int i = 0; i < y.Length; i += TLanes.Count)
        {
            int count = Math.Min(TLanes.Count, y.Length - i);
            var result = op.Invoke(Gather<TLanes>(a, aStart + i * aStride, aStride, count), Gather<TLanes>(b, bStart + i * bStride, bStride, count));
            SimdLoops.StorePartial(result, y.Slice(i, count));
        }
    }

    /// <summary>Vector of src[start + k*stride] for k &lt; count (at most the lane count), zero-padded.</summary>
    private static TLanes Gather<TLanes>(ReadOnlySpan<float> source, int start, int stride, int count) where TLanes : struct, ILaneVector<TLanes>
    {
        Span<float> lanes = stackalloc float[TLanes.Count];
        lanes.Clear();
        for (int k = 0; k < count; k++)
            lanes[k] = source[start + k * stride];
        return TLanes.Load(lanes);
    }

    internal readonly struct AddOp : IBinaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes a, TLanes b) where TLanes : struct, ILaneVector<TLanes> => a + b;
    }

    internal readonly struct SubOp : IBinaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes a, TLanes b) where TLanes : struct, ILaneVector<TLanes> => a - b;
    }

    internal readonly struct MulOp : IBinaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes a, TLanes b) where TLanes : struct, ILaneVector<TLanes> => a * b;
    }

    internal readonly struct DivOp : IBinaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes a, TLanes b) where TLanes : struct, ILaneVector<TLanes> => a / b;
    }

    internal readonly struct MaxOp : IBinaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes a, TLanes b) where TLanes : struct, ILaneVector<TLanes> => TLanes.Max(a, b);
    }

    internal readonly struct MinOp : IBinaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes a, TLanes b) where TLanes : struct, ILaneVector<TLanes> => TLanes.Min(a, b);
    }
}

/// <summary>x -&gt; x op b for a fixed right operand b.</summary>
internal readonly struct ScalarRight<TOp>(TOp op, float right) : IUnaryOperator where TOp : struct, IBinaryOperator
{
    public TLanes Invoke<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> => op.Invoke(x, TLanes.Broadcast(right));
}

/// <summary>x -&gt; a op x for a fixed left operand a.</summary>
internal readonly struct ScalarLeft<TOp>(TOp op, float left) : IUnaryOperator where TOp : struct, IBinaryOperator
{
    public TLanes Invoke<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> => op.Invoke(TLanes.Broadcast(left), x);
}
