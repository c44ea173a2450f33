using System.Runtime.InteropServices;
using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Kernels.Gpu;

namespace BiGS.Native.Tensors.Backends.Gpu;

/// <summary>
/// The tensor backend for any <see cref="IGpuDevice"/>: every primitive is a launch of a named kernel from the
/// portable sources, so OpenCL and CUDA share all of this and differ only in the driver layer beneath.
/// Tensors arrive contiguous (except where <see cref="ITensorBackend"/> says otherwise) but may start at an
/// element offset inside their buffer; every kernel takes (buffer, offset) pairs.
/// </summary>
public abstract partial class GpuBackend : ITensorBackend, IDisposable
{
    private const int LinearGroup = 64;
    private const int MaxReductionGroup = 256;   // MAX_GROUP in prelude.h
    private const int GemmTile = 16;              // TILE in gemm.cl
    private const int DotPartials = 64;
    private Device? device;

    /// <summary>Wraps an opened driver device.</summary>
    protected GpuBackend(DeviceKind kind, int index, IGpuDevice gpu)
    {
        if (gpu.MaxGroupSize < GemmTile * GemmTile)
            throw new NotSupportedException($"{gpu.Description} allows groups of {gpu.MaxGroupSize} threads; the kernels need {GemmTile * GemmTile}");
        Kind = kind;
        Index = index;
        Gpu = gpu;
    }

    /// <summary>The driver-level device.</summary>
    public IGpuDevice Gpu { get; }

    /// <summary>The tensor-level device this backend computes for.</summary>
    public Device Device => device ??= Device.Create(Kind, Index, this);

    private DeviceKind Kind { get; }

    private int Index { get; }

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public TensorStorage Allocate(DType dtype, long length, bool zeroed)
    {
        var buffer = Gpu.Allocate(length * dtype.ElementSize());
        if (zeroed) Gpu.Zero(buffer);
        return new GpuStorage(this, dtype, length, buffer);
    }

    /// <inheritdoc />
    public void CopyFromHost<T>(ReadOnlySpan<T> source, TensorStorage destination, long offset) where T : unmanaged =>
        Gpu.Write(Buffer(destination), offset * Marshal.SizeOf<T>(), MemoryMarshal.AsBytes(source));

    /// <inheritdoc />
    public void CopyToHost<T>(TensorStorage source, long offset, Span<T> destination) where T : unmanaged =>
        Gpu.Read(Buffer(source), offset * Marshal.SizeOf<T>(), MemoryMarshal.AsBytes(destination));

    /// <inheritdoc />
    public void Fill(Tensor destination, float value) =>
        Linear("fill", destination.Length, [Arg(destination), destination.Offset, destination.Length, value]);

    /// <inheritdoc />
    public void CopyStrided(Tensor source, Tensor destination)
    {
        string kernel = source.DType == DType.Int64 ? "copy_strided_64" : "copy_strided_32";
        Linear(kernel, destination.Length, [Arg(source.Storage), View(source), Arg(destination), destination.Offset, destination.Length]);
    }

    /// <inheritdoc />
    public void Unary(UnaryOp op, Tensor x, Tensor y) =>
        Linear("unary", y.Length, [(int)op, Arg(x), x.Offset, Arg(y), y.Offset, y.Length]);

    /// <inheritdoc />
    public void UnaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor dy, Tensor dx) =>
        Linear("unary_backward", dx.Length, [(int)op, Arg(x), x.Offset, Arg(y), y.Offset, Arg(dy), dy.Offset, Arg(dx), dx.Offset, dx.Length]);

    /// <inheritdoc />
    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y) =>
        Linear("binary", y.Length, [(int)op, Arg(a.Storage), View(a), Arg(b.Storage), View(b), Arg(y), y.Offset, y.Length]);

    /// <inheritdoc />
    public void BinaryScalar(BinaryOp op, Tensor a, float s, bool scalarFirst, Tensor y) =>
        Linear("binary_scalar", y.Length, [(int)op, Arg(a), a.Offset, s, scalarFirst ? 1 : 0, Arg(y), y.Offset, y.Length]);

    /// <inheritdoc />
    public void AddScaled(Tensor x, float alpha, Tensor y) =>
        Linear("add_scaled", y.Length, [Arg(x), x.Offset, alpha, Arg(y), y.Offset, y.Length]);

    /// <inheritdoc />
    public void MatMul(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, float alpha, float beta)
    {
        int batch = c.Size(0), m = c.Size(1), n = c.Size(2);
        int k = transposeA ? a.Size(1) : a.Size(2);
        int strideA = a.Size(0) == 1 ? 0 : a.Size(1) * a.Size(2);
        int strideB = b.Size(0) == 1 ? 0 : b.Size(1) * b.Size(2);
        if (batch == 0 || m == 0 || n == 0) return;
        var grid = new GpuGrid((Groups(n, GemmTile), Groups(m, GemmTile), batch), (GemmTile, GemmTile, 1));
        Gpu.Launch("sgemm", grid, [transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha,
            Arg(a), a.Offset, a.Size(2), strideA, Arg(b), b.Offset, b.Size(2), strideB, beta, Arg(c), c.Offset, n, m * n]);
    }

    /// <inheritdoc />
    public void Reduce(ReduceKind kind, Tensor x, int outer, int axis, int inner, Tensor y) =>
        PerGroup("reduce_axis", outer * inner, axis, [(int)kind, Arg(x), x.Offset, outer, axis, inner, Arg(y), y.Offset]);

    /// <inheritdoc />
    public void ReduceToShape(Tensor source, Tensor destination)
    {
        // kept: destination's shape with the source's strides; reduced: only the summed dims (size > 1 in source).
        var sourceStrides = source.Strides;
        var reducedShape = new List<int>();
        var reducedStrides = new List<int>();
        for (int d = 0; d < source.Rank; d++)
        {
            if (destination.Size(d) != 1 || source.Size(d) == 1) continue;
            reducedShape.Add(source.Size(d));
            reducedStrides.Add(sourceStrides[d]);
        }
        var kept = GpuView.Create(destination.Shape, sourceStrides, 0);
        var reduced = GpuView.Create(reducedShape.ToArray(), reducedStrides.ToArray(), 0);
        int reducedCount = reducedShape.Aggregate(1, (p, s) => p * s);
        Linear("reduce_to_shape", destination.Length,
            [Arg(source), source.Offset, kept, reduced, Arg(destination), destination.Offset, destination.Length, reducedCount]);
    }

    /// <inheritdoc />
    public void BiasGelu(GeluKind kind, Tensor x, Tensor bias, Tensor y) =>
        Linear("bias_gelu", y.Length, [(int)kind, Arg(x), x.Offset, Arg(bias), bias.Offset, Arg(y), y.Offset, x.Size(1), y.Length]);

    /// <inheritdoc />
    public void BiasGeluBackward(GeluKind kind, Tensor x, Tensor bias, Tensor dy, Tensor dx, Tensor dbias)
    {
        int rows = x.Size(0), cols = x.Size(1);
        Linear("bias_gelu_backward", dx.Length,
            [(int)kind, Arg(x), x.Offset, Arg(bias), bias.Offset, Arg(dy), dy.Offset, Arg(dx), dx.Offset, cols, dx.Length]);
        Linear("column_sums_accumulate", cols, [Arg(dx), dx.Offset, rows, cols, Arg(dbias), dbias.Offset]);
    }

    /// <inheritdoc />
    public void LayerNorm(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd) =>
        PerGroup("layer_norm", x.Size(0), x.Size(1), [Arg(x), x.Offset, Arg(gamma), gamma.Offset, Arg(beta), beta.Offset,
            x.Size(1), eps, Arg(y), y.Offset, Arg(mean), mean.Offset, Arg(rstd), rstd.Offset]);

    /// <inheritdoc />
    public void LayerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor dx, Tensor dgamma, Tensor dbeta)
    {
        int rows = x.Size(0), cols = x.Size(1);
        PerGroup("layer_norm_backward", rows, cols, [Arg(x), x.Offset, Arg(gamma), gamma.Offset, Arg(mean), mean.Offset,
            Arg(rstd), rstd.Offset, Arg(dy), dy.Offset, cols, Arg(dx), dx.Offset]);
        Linear("layer_norm_param_grads", cols, [Arg(x), x.Offset, Arg(mean), mean.Offset, Arg(rstd), rstd.Offset,
            Arg(dy), dy.Offset, rows, cols, Arg(dgamma), dgamma.Offset, Arg(dbeta), dbeta.Offset]);
    }

    /// <inheritdoc />
    public void Softmax(Tensor x, Tensor y, bool log) =>
        PerGroup("softmax", x.Size(0), x.Size(1), [Arg(x), x.Offset, x.Size(1), log ? 1 : 0, Arg(y), y.Offset]);

    /// <inheritdoc />
    public void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, bool log) =>
        PerGroup("softmax_backward", y.Size(0), y.Size(1), [Arg(y), y.Offset, Arg(dy), dy.Offset, y.Size(1), log ? 1 : 0, Arg(dx), dx.Offset]);

    /// <inheritdoc />
    public float CrossEntropy(Tensor logits, Tensor labels, int ignoreIndex, Tensor logSumExp, out int count)
    {
        int rows = logits.Size(0), cols = logits.Size(1);
        var labelValues = labels.ToIntArray();
        count = CheckLabels(labelValues, cols, ignoreIndex);
        using var lossRows = Gpu.Allocate(Math.Max(rows, 1) * sizeof(float));
        PerGroup("cross_entropy", rows, cols, [Arg(logits), logits.Offset, Arg(labels), labels.Offset, cols, ignoreIndex,
            Arg(logSumExp), logSumExp.Offset, new GpuBufferArg(lossRows)]);
        var losses = new float[rows];
        Gpu.Read(lossRows, 0, MemoryMarshal.AsBytes(losses.AsSpan()));
        double total = 0;
        foreach (var loss in losses) total += loss;
        return count == 0 ? 0f : (float)(total / count);
    }

    /// <inheritdoc />
    public void CrossEntropyBackward(Tensor logits, Tensor labels, Tensor logSumExp, int ignoreIndex, float scale, Tensor dlogits) =>
        Linear("cross_entropy_backward", dlogits.Length, [Arg(logits), logits.Offset, Arg(labels), labels.Offset,
            Arg(logSumExp), logSumExp.Offset, logits.Size(1), ignoreIndex, scale, Arg(dlogits), dlogits.Offset, dlogits.Length]);

    /// <inheritdoc />
    public void EmbeddingGather(Tensor table, Tensor ids, Tensor y)
    {
        CheckIds(ids.ToIntArray(), table.Size(0), "EmbeddingGather");
        Linear("embedding_gather", y.Length, [Arg(table), table.Offset, Arg(ids), ids.Offset, table.Size(1), Arg(y), y.Offset, y.Length]);
    }

    /// <inheritdoc />
    public void EmbeddingScatterAdd(Tensor dy, Tensor ids, Tensor dtable)
    {
        var values = ids.ToIntArray();
        CheckIds(values, dtable.Size(0), "EmbeddingScatterAdd");
        var segments = IdSegments.FromIds(values);
        if (segments.Count == 0) return;
        using var order = Upload(segments.Order);
        using var starts = Upload(segments.Starts);
        using var segmentIds = Upload(segments.Ids);
        int dim = dtable.Size(1);
        Linear("embedding_scatter_add", (long)segments.Count * dim, [Arg(dy), dy.Offset, new GpuBufferArg(order), new GpuBufferArg(starts),
            new GpuBufferArg(segmentIds), segments.Count, dim, Arg(dtable), dtable.Offset]);
    }

    /// <inheritdoc />
    public void AdamWStep(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, float weightDecay, int step)
    {
        // Bias corrections 1 - beta^t in double on the host, as the kernel only sees the step through them.
        float correction1 = (float)(1 - Math.Pow(beta1, step)), correction2 = (float)(1 - Math.Pow(beta2, step));
        Linear("adamw", param.Length, [Arg(param), param.Offset, Arg(grad), grad.Offset, Arg(m), m.Offset, Arg(v), v.Offset,
            lr, beta1, beta2, eps, weightDecay, correction1, correction2, param.Length]);
    }

    /// <inheritdoc />
    public void SsmKernel(Tensor aRe, Tensor aIm, Tensor c, Tensor logStep, Tensor kernel) =>
        Linear("s4d_kernel", kernel.Length, [Arg(aRe), aRe.Offset, Arg(aIm), aIm.Offset, Arg(c), c.Offset, Arg(logStep), logStep.Offset,
            aRe.Length, kernel.Length, Arg(kernel), kernel.Offset]);

    /// <inheritdoc />
    public void SsmKernelBackward(Tensor aRe, Tensor aIm, Tensor c, Tensor logStep, Tensor dKernel,
        Tensor dARe, Tensor dAIm, Tensor dC, Tensor dLogStep)
    {
        int modes = aRe.Length;
        using var parts = Gpu.Allocate(Math.Max(modes, 1) * sizeof(float));
        PerGroup("s4d_kernel_backward", modes, dKernel.Length, [Arg(aRe), aRe.Offset, Arg(aIm), aIm.Offset, Arg(c), c.Offset,
            Arg(logStep), logStep.Offset, Arg(dKernel), dKernel.Offset, dKernel.Length, Arg(dARe), dARe.Offset, Arg(dAIm), dAIm.Offset,
            Arg(dC), dC.Offset, new GpuBufferArg(parts)]);
        SumInto(parts, modes, dLogStep);
    }

    /// <inheritdoc />
    /// <remarks>Direct O(L^2) kernel up to <see cref="DirectConvolutionMaxLength"/>, FFT convolution beyond.</remarks>
    public void SsmConvolution(Tensor u, Tensor kernel, Tensor d, Tensor y)
    {
        if (u.Size(1) > DirectConvolutionMaxLength)
        {
            FftConvolution(u, kernel, d, y);
            return;
        }
        Linear("ssm_conv_direct", y.Length, [Arg(u), u.Offset, u.Size(1), u.Size(2), Arg(kernel), kernel.Offset, Arg(d), d.Offset,
            Arg(y), y.Offset, y.Length]);
    }

    /// <inheritdoc />
    public void SsmConvolutionBackward(Tensor u, Tensor kernel, Tensor d, Tensor dy, Tensor du, Tensor dKernel, Tensor dD)
    {
        int batch = u.Size(0), length = u.Size(1), channels = u.Size(2);
        if (length > DirectConvolutionMaxLength)
        {
            FftConvolutionBackward(u, kernel, d, dy, du, dKernel);
        }
        else
        {
            Linear("ssm_conv_direct_input_grad", du.Length, [Arg(dy), dy.Offset, length, channels, Arg(kernel), kernel.Offset,
                Arg(d), d.Offset, Arg(du), du.Offset, du.Length]);
            PerGroup("ssm_conv_direct_kernel_grad", length, batch * length * channels,
                [Arg(u), u.Offset, Arg(dy), dy.Offset, batch, length, channels, Arg(dKernel), dKernel.Offset]);
        }
        // dD = sum u dy: per-group partial dot products, then one reduction into dD.
        using var partials = Gpu.Allocate(DotPartials * sizeof(float));
        Gpu.Launch("dot_partial", GpuGrid.Linear(DotPartials, MaxReductionGroup),
            [Arg(u), u.Offset, Arg(dy), dy.Offset, u.Length, new GpuBufferArg(partials)]);
        SumInto(partials, DotPartials, dD);
    }

    /// <summary>Releases the driver device (kernels, queues, context).</summary>
    public void Dispose()
    {
        Gpu.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>target[0] = sum of the first <paramref name="count"/> floats of <paramref name="values"/>.</summary>
    private void SumInto(IGpuBuffer values, int count, Tensor target) =>
        PerGroup("reduce_axis", 1, count, [(int)ReduceKind.Sum, new GpuBufferArg(values), 0, 1, count, 1, Arg(target), target.Offset]);

    /// <summary>One thread per element, in groups of <see cref="LinearGroup"/>.</summary>
    private void Linear(string kernel, long count, ReadOnlySpan<KernelArg> arguments)
    {
        if (count > 0) Gpu.Launch(kernel, GpuGrid.Covering(count, LinearGroup), arguments);
    }

    /// <summary>One group per output (row, mode, lag...), sized to the work each group strides over.</summary>
    private void PerGroup(string kernel, int groups, int workPerGroup, ReadOnlySpan<KernelArg> arguments)
    {
        if (groups > 0) Gpu.Launch(kernel, GpuGrid.Linear(groups, ReductionGroupSize(workPerGroup)), arguments);
    }

    /// <summary>The power of two covering <paramref name="work"/>, clamped to [1, 256] (group_sum needs a power of two).</summary>
    private static int ReductionGroupSize(int work)
    {
        int size = 1;
        while (size < work && size < MaxReductionGroup) size *= 2;
        return size;
    }

    private static int Groups(int count, int per) => (count + per - 1) / per;

    private IGpuBuffer Upload(int[] values)
    {
        var buffer = Gpu.Allocate(Math.Max(values.Length, 1) * sizeof(int));
        Gpu.Write(buffer, 0, MemoryMarshal.AsBytes(values.AsSpan()));
        return buffer;
    }

    private GpuBufferArg Arg(Tensor t) => Arg(t.Storage);

    private GpuBufferArg Arg(TensorStorage storage) => new(Buffer(storage));

    private static GpuView View(Tensor t) => GpuView.Create(t.Shape, t.Strides, t.Offset);

    private IGpuBuffer Buffer(TensorStorage storage) =>
        storage is GpuStorage gpu && ReferenceEquals(gpu.Backend, this)
            ? gpu.Buffer
            : throw new ArgumentException($"the {Device} backend got a tensor on {storage.Device}; copy it with To({Device}) first");

    private static int CheckLabels(int[] labels, int classes, int ignoreIndex)
    {
        int used = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] == ignoreIndex) continue;
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(labels), $"CrossEntropy: label {labels[i]} at row {i} is outside [0, {classes}) and is not the ignore index {ignoreIndex}");
            used++;
        }
        return used;
    }

    private static void CheckIds(int[] ids, int vocabulary, string op)
    {
        for (int i = 0; i < ids.Length; i++)
            if ((uint)ids[i] >= (uint)vocabulary)
                throw new ArgumentOutOfRangeException(nameof(ids), $"{op}: id {ids[i]} at position {i} is outside the table's {vocabulary} rows");
    }
}
