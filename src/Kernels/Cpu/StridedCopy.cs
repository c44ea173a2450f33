namespace BiGS.Native.Kernels.Cpu;

/// <summary>Materialising strided views (transpose, slice, broadcast, flip) and the backward of broadcasting.</summary>
public static class StridedCopy
{
    /// <summary>dst (contiguous, <paramref name="shape"/>) &lt;- src viewed with offset/strides (strides may be 0 or negative: flips).</summary>
    public static void Copy(ReadOnlySpan<int> shape, ReadOnlySpan<float> src, int srcOffset, ReadOnlySpan<int> srcStrides, Span<float> dst) =>
        CopyView(shape, src, srcOffset, srcStrides, dst);

    /// <summary>dst (contiguous, <paramref name="shape"/>) &lt;- src viewed with offset/strides (strides may be 0 or negative: flips).</summary>
    public static void Copy(ReadOnlySpan<int> shape, ReadOnlySpan<int> src, int srcOffset, ReadOnlySpan<int> srcStrides, Span<int> dst) =>
        CopyView(shape, src, srcOffset, srcStrides, dst);

    /// <summary>
    /// Sum-reduces a contiguous gradient <paramref name="src"/> of <paramref name="shape"/> into dst of
    /// <paramref name="dstShape"/> (same rank; each dim equal or 1), the backward of broadcasting. dst (+=).
    /// Runs on one thread in a fixed order, so the result is deterministic.
    /// </summary>
    public static void ReduceToShape(ReadOnlySpan<int> shape, ReadOnlySpan<float> src, ReadOnlySpan<int> dstShape, Span<float> dst)
    {
        string shapeText = $"[{string.Join(", ", shape.ToArray())}]", dstText = $"[{string.Join(", ", dstShape.ToArray())}]";
        if (dstShape.Length != shape.Length)
            throw new ArgumentException($"dstShape {dstText} must have the same rank as shape {shapeText}", nameof(dstShape));
        for (int d = 0; d < shape.Length; d++)
            if (dstShape[d] != shape[d] && dstShape[d] != 1)
                throw new ArgumentException($"dstShape {dstText} cannot receive shape {shapeText}: dimension {d} must be {shape[d]} or 1", nameof(dstShape));
        KernelArguments.RequireLength(nameof(src), src.Length, StridedPlan.ElementCount(shape), $"shape {shapeText}");
        KernelArguments.RequireLength(nameof(dst), dst.Length, StridedPlan.ElementCount(dstShape), $"dstShape {dstText}");
        if (src.IsEmpty) return;

        // dst seen through shape: stride 0 on the reduced dimensions, so every source element finds its target.
        var dstStrides = StridedPlan.ContiguousStrides(dstShape);
        for (int d = 0; d < shape.Length; d++)
            if (dstShape[d] != shape[d]) dstStrides[d] = 0;
        var plan = new StridedPlan(shape, StridedPlan.ContiguousStrides(shape), dstStrides);
        int n = plan.RowLength;
        bool rowReduced = plan.RowStride(1) == 0;
        for (int row = 0; row < plan.RowCount; row++)
        {
            var source = src.Slice(row * n, n);
            int target = plan.RowOffset(1, row);
            if (rowReduced)
                dst[target] += (float)SimdLoops.SumWidened(source);
            else
                Elementwise.AddScaled(source, 1f, dst.Slice(target, n));
        }
    }

    private static unsafe void CopyView<T>(ReadOnlySpan<int> shape, ReadOnlySpan<T> src, int srcOffset, ReadOnlySpan<int> srcStrides, Span<T> dst)
        where T : unmanaged
    {
        KernelArguments.RequireLength(nameof(dst), dst.Length, StridedPlan.ElementCount(shape), $"shape [{string.Join(", ", shape.ToArray())}]");
        StridedPlan.RequireViewInside(nameof(src), src.Length, srcOffset, shape, srcStrides);
        if (dst.IsEmpty) return;
        var plan = new StridedPlan(shape, srcStrides.ToArray(), StridedPlan.ContiguousStrides(shape));
        int n = plan.RowLength, stride = plan.RowStride(0);
        if (plan.RowCount == 1)
        {
            CopyRow(src, srcOffset, stride, dst);
            return;
        }
        fixed (T* ps = src, pd = dst)
        {
            var sources = new RawSpan<T>(ps, src.Length);
            var targets = new RawSpan<T>(pd, dst.Length);
            int offset = srcOffset;
            CpuParallel.ForBlocks(plan.RowCount, SimdLoops.RowsPerBlock(n), (begin, end) =>
            {
                for (int row = begin; row < end; row++)
                    CopyRow<T>(sources.All, offset + plan.RowOffset(0, row), stride, targets.Slice(row * n, n));
            });
        }
    }

    /// <summary>dst[i] = src[start + i*stride]: a block copy for stride 1, a fill for stride 0.</summary>
    private static void CopyRow<T>(ReadOnlySpan<T> src, int start, int stride, Span<T> dst)
    {
        if (stride == 1) src.Slice(start, dst.Length).CopyTo(dst);
        else if (stride == 0) dst.Fill(src[start]);
        else
            for (int i = 0; i < dst.Length; i++)
                dst[i] = src[start + i * stride];
    }
}
