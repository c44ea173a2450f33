using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Kernels.Cpu.Ssm;
using BiGS.Native.Kernels.Random;

namespace BiGS.Native.Tensors.Backends;

/// <summary>
/// The CPU backend: host arrays from the pool and the SIMD kernels of BiGS.Native.Kernels.Cpu. It is the
/// reference every other backend is tested against.
/// </summary>
public sealed class CpuBackend : ITensorBackend
{
    private CpuBackend() { }

    /// <summary>The one CPU backend (stateless, shared by every CPU tensor).</summary>
    public static CpuBackend Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "cpu";

    /// <inheritdoc />
    public TensorStorage Allocate(DType dtype, long length, bool zeroed)
    {
        if (length > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(length), $"a CPU tensor holds at most {Array.MaxLength} elements, asked for {length}");
        return new CpuStorage(dtype, (int)length, zeroed);
    }

    /// <inheritdoc />
    public void CopyFromHost<T>(ReadOnlySpan<T> source, TensorStorage destination, long offset) where T : unmanaged =>
        source.CopyTo(Cpu(destination).AsSpan<T>()[(int)offset..]);

    /// <inheritdoc />
    public void CopyToHost<T>(TensorStorage source, long offset, Span<T> destination) where T : unmanaged =>
        Cpu(source).AsSpan<T>().Slice((int)offset, destination.Length).CopyTo(destination);

    /// <inheritdoc />
    public void Fill(Tensor destination, float value) => Elementwise.Fill(F(destination), value);

    /// <inheritdoc />
    public void Iota(Tensor destination)
    {
        var ids = destination.AsSpan<int>();
        for (int i = 0; i < ids.Length; i++) ids[i] = i;
    }

    /// <inheritdoc />
    public void CopyStrided(Tensor source, Tensor destination)
    {
        var storage = Cpu(source.Storage);
        switch (source.DType)
        {
            case DType.Float32: StridedCopy.Copy(source.Shape, storage.Floats, source.Offset, source.Strides, F(destination)); break;
            case DType.Int32: StridedCopy.Copy(source.Shape, storage.Ints, source.Offset, source.Strides, destination.AsSpan<int>()); break;
            default: CopyStridedLongs(source, storage.Longs, destination.AsSpan<long>()); break;
        }
    }

    /// <inheritdoc />
    public void Unary(UnaryOp op, Tensor x, Tensor y) => Elementwise.Unary(op, F(x), F(y));

    /// <inheritdoc />
    public void UnaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor dy, Tensor dx) =>
        Elementwise.UnaryBackward(op, F(x), F(y), F(dy), F(dx));

    /// <inheritdoc />
    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y)
    {
        if (a.IsContiguous && b.IsContiguous)
            Elementwise.Binary(op, F(a), F(b), F(y));
        else
            Elementwise.BinaryStrided(op, y.Shape, Cpu(a.Storage).Floats, a.Offset, a.Strides, Cpu(b.Storage).Floats, b.Offset, b.Strides, F(y));
    }

    /// <inheritdoc />
    public void BinaryScalar(BinaryOp op, Tensor a, float s, bool scalarFirst, Tensor y)
    {
        if (scalarFirst) Elementwise.ScalarBinary(op, s, F(a), F(y));
        else Elementwise.BinaryScalar(op, F(a), s, F(y));
    }

    /// <inheritdoc />
    public void AddScaled(Tensor x, float alpha, Tensor y) => Elementwise.AddScaled(F(x), alpha, F(y));

    /// <inheritdoc />
    /// <remarks>
    /// The epilogue runs as passes over c after the GEMM, except a lone bias, which c starts from (the GEMM then
    /// accumulates into it). tf32 and bf16 round copies of the operands before the fp32 GEMM: the numerics of those
    /// precisions, not their speed.
    /// </remarks>
    public void MatMul(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, GemmEpilogue epilogue, Precision precision)
    {
        int batch = c.Size(0), m = c.Size(1), n = c.Size(2);
        int k = transposeA ? a.Size(1) : a.Size(2);
        long strideA = a.Size(0) == 1 ? 0 : (long)a.Size(1) * a.Size(2);
        long strideB = b.Size(0) == 1 ? 0 : (long)b.Size(1) * b.Size(2);
        bool startFromBias = epilogue.Bias is not null && epilogue.Beta == 0f && epilogue.Activation is null && epilogue.Gate is null && epilogue.Product is null;
        if (startFromBias) FillRows(F(c), F(epilogue.Bias!));
        var z = epilogue.Product is null ? F(c) : F(epilogue.Product);
        if (epilogue.Product is not null && epilogue.Beta != 0f) F(c).CopyTo(z);
        using var roundedA = RoundedOperand(F(a), precision);
        using var roundedB = RoundedOperand(F(b), precision);
        Gemm.SgemmBatched(batch, transposeA, transposeB, m, n, k, epilogue.Alpha, roundedA.Values, a.Size(2), strideA,
            roundedB.Values, b.Size(2), strideB, startFromBias ? 1f : epilogue.Beta, z, n, (long)m * n);
        if (!startFromBias) ApplyBiasAndActivation(z, epilogue, m, n, F(c));
        if (epilogue.Residual is not null) Elementwise.AddScaled(F(epilogue.Residual), 1f, F(c));
    }

    /// <summary>y = act(z + bias) * gate row by row (y may be z); a copy when there is none of them.</summary>
    private static void ApplyBiasAndActivation(Span<float> z, GemmEpilogue epilogue, int rows, int cols, Span<float> y)
    {
        if (epilogue.Activation is { } gated && epilogue.Bias is not null && epilogue.Gate is not null)
        {
            Kernels.Cpu.BiasGelu.GatedForward(gated, z, F(epilogue.Bias), F(epilogue.Gate), rows, cols, y);
            return;
        }
        ApplyBiasAndActivationUngated(z, epilogue, rows, cols, y);
        if (epilogue.Gate is not null) Elementwise.Binary(BinaryOp.Mul, y, F(epilogue.Gate), y);
    }

    private static void ApplyBiasAndActivationUngated(Span<float> z, GemmEpilogue epilogue, int rows, int cols, Span<float> y)
    {
        if (epilogue.Activation is { } kind && epilogue.Bias is not null)
        {
            Kernels.Cpu.BiasGelu.Forward(kind, z, F(epilogue.Bias), rows, cols, y);
            return;
        }
        if (epilogue.Activation is { } gelu)
        {
            Elementwise.Unary(gelu == GeluKind.Tanh ? UnaryOp.GeluTanh : UnaryOp.GeluErf, z, y);
            return;
        }
        if (!z.Overlaps(y)) z.CopyTo(y);
        if (epilogue.Bias is not null)
            for (int row = 0; row < rows; row++) Elementwise.AddScaled(F(epilogue.Bias), 1f, y.Slice(row * cols, cols));
    }

    /// <summary>Every row of <paramref name="rows"/> set to <paramref name="row"/>.</summary>
    private static void FillRows(Span<float> rows, ReadOnlySpan<float> row)
    {
        for (int start = 0; start < rows.Length; start += row.Length) row.CopyTo(rows.Slice(start, row.Length));
    }

    /// <summary>The operand itself for fp32, else a pooled copy rounded to <paramref name="precision"/>.</summary>
    private static RoundedValues RoundedOperand(ReadOnlySpan<float> values, Precision precision)
    {
        if (precision == Precision.Fp32) return new RoundedValues(null, values);
        var copy = System.Buffers.ArrayPool<float>.Shared.Rent(values.Length);
        var rounded = copy.AsSpan(0, values.Length);
        values.CopyTo(rounded);
        GemmRounding.RoundInPlace(rounded, precision);
        return new RoundedValues(copy, rounded);
    }

    /// <summary>An operand's values, in a pooled array (returned on dispose) when they were rounded.</summary>
    private readonly ref struct RoundedValues(float[]? pooled, ReadOnlySpan<float> values)
    {
        public ReadOnlySpan<float> Values { get; } = values;

        public void Dispose()
        {
            if (pooled is not null) System.Buffers.ArrayPool<float>.Shared.Return(pooled);
        }
    }

    /// <inheritdoc />
    public void Reduce(ReduceKind kind, Tensor x, int outer, int axis, int inner, Tensor y)
    {
        switch (kind)
        {
            case ReduceKind.Sum: Reductions.Sum(F(x), outer, axis, inner, F(y)); break;
            case ReduceKind.Mean: Reductions.Mean(F(x), outer, axis, inner, F(y)); break;
            default: Reductions.Max(F(x), outer, axis, inner, F(y), Span<int>.Empty); break;
        }
    }

    /// <inheritdoc />
    public void ColumnSums(Tensor x, Tensor sums, bool accumulate) =>
        Reductions.ColumnSums(F(x), x.Size(0), x.Size(1), F(sums), accumulate);

    /// <inheritdoc />
    public void ReduceToShape(Tensor source, Tensor destination) =>
        StridedCopy.ReduceToShape(source.Shape, F(source), destination.Shape, F(destination));

    /// <inheritdoc />
    public void BiasGelu(GeluKind kind, Tensor x, Tensor bias, Tensor y) =>
        Kernels.Cpu.BiasGelu.Forward(kind, F(x), F(bias), x.Size(0), x.Size(1), F(y));

    /// <inheritdoc />
    public void BiasGeluBackward(GeluKind kind, Tensor x, Tensor bias, Tensor dy, Tensor dx, Tensor dbias) =>
        Kernels.Cpu.BiasGelu.Backward(kind, F(x), F(bias), F(dy), x.Size(0), x.Size(1), F(dx), F(dbias));

    /// <inheritdoc />
    public void BiasProductBackward(Tensor z, Tensor bias, Tensor gate, Tensor dy, Tensor dz, Tensor dGate, Tensor dbias) =>
        Kernels.Cpu.BiasGelu.ProductBackward(F(z), F(bias), F(gate), F(dy), z.Size(0), z.Size(1), F(dz), F(dGate), F(dbias));

    /// <inheritdoc />
    public void GatedGeluBackward(GeluKind kind, Tensor a, Tensor bias, Tensor g, Tensor gateBias, Tensor dy, Tensor da, Tensor dg, Tensor dbias, Tensor dGateBias) =>
        Kernels.Cpu.BiasGelu.GatedPairBackward(kind, new GatedPair(F(a), F(bias), F(g), F(gateBias)), F(dy), a.Size(0), a.Size(1), F(da), F(dg), F(dbias), F(dGateBias));

    /// <inheritdoc />
    public void LayerNorm(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd) =>
        LayerNormKernel.Forward(F(x), F(gamma), F(beta), x.Size(0), x.Size(1), eps, F(y), F(mean), F(rstd));

    /// <inheritdoc />
    public void LayerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor dx, bool accumulateDx, Tensor dgamma, Tensor dbeta) =>
        LayerNormKernel.Backward(F(x), F(gamma), F(mean), F(rstd), F(dy), x.Size(0), x.Size(1), F(dx), accumulateDx, F(dgamma), F(dbeta));

    /// <inheritdoc />
    public void Softmax(Tensor x, Tensor y, bool log)
    {
        if (log) SoftmaxKernel.LogSoftmax(F(x), x.Size(0), x.Size(1), F(y));
        else SoftmaxKernel.Softmax(F(x), x.Size(0), x.Size(1), F(y));
    }

    /// <inheritdoc />
    public void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, bool log)
    {
        if (log) SoftmaxKernel.LogSoftmaxBackward(F(y), F(dy), y.Size(0), y.Size(1), F(dx));
        else SoftmaxKernel.SoftmaxBackward(F(y), F(dy), y.Size(0), y.Size(1), F(dx));
    }

    /// <inheritdoc />
    public void CrossEntropy(Tensor logits, Tensor labels, int ignoreIndex, Tensor logSumExp, Tensor loss, Tensor count)
    {
        F(loss)[0] = CrossEntropyKernel.Forward(F(logits), labels.AsSpan<int>(), logits.Size(0), logits.Size(1), ignoreIndex, F(logSumExp), out int used);
        F(count)[0] = used;
    }

    /// <inheritdoc />
    public void CrossEntropyBackward(Tensor logits, Tensor labels, Tensor logSumExp, int ignoreIndex, Tensor scale, Tensor dlogits) =>
        CrossEntropyKernel.Backward(F(logits), labels.AsSpan<int>(), F(logSumExp), logits.Size(0), logits.Size(1), ignoreIndex, F(scale)[0], F(dlogits));

    /// <inheritdoc />
    public void ArgMaxHits(Tensor logits, Tensor labels, Tensor maxima, Tensor hits)
    {
        var values = F(logits);
        var targets = labels.AsSpan<int>();
        var rowMaxima = F(maxima);
        var hit = F(hits);
        int cols = logits.Size(1);
        for (int r = 0; r < hit.Length; r++)
            hit[r] = (uint)targets[r] < (uint)cols && values[r * cols + targets[r]] >= rowMaxima[r] ? 1f : 0f;
    }

    /// <inheritdoc />
    public void SumOfSquares(Tensor x, Tensor total, bool accumulate)
    {
        var result = F(total);
        result[0] = (float)((accumulate ? result[0] : 0.0) + Reductions.SumOfSquares(F(x)));
    }

    /// <inheritdoc />
    public void ClipToNorm(Tensor x, Tensor sumOfSquares, float maxNorm)
    {
        float norm = MathF.Sqrt(F(sumOfSquares)[0]);
        if (norm > maxNorm && float.IsFinite(norm)) Elementwise.BinaryScalar(BinaryOp.Mul, F(x), maxNorm / norm, F(x));
    }

    /// <inheritdoc />
    public void EmbeddingGather(Tensor table, Tensor ids, Tensor y) =>
        EmbeddingKernel.Gather(F(table), table.Size(0), table.Size(1), ids.AsSpan<int>(), F(y));

    /// <inheritdoc />
    public void EmbeddingScatterAdd(Tensor dy, Tensor ids, Tensor dtable) =>
        EmbeddingKernel.ScatterAdd(F(dy), ids.AsSpan<int>(), dtable.Size(0), dtable.Size(1), F(dtable));

    /// <inheritdoc />
    public void SelectIncreasingRows(Tensor table, Tensor ids, Tensor y)
    {
        EmbeddingKernel.RequireIncreasing(ids.AsSpan<int>());
        EmbeddingGather(table, ids, y);
    }

    /// <inheritdoc />
    public void ScatterIncreasingRows(Tensor dy, Tensor ids, Tensor dtable, bool accumulate)
    {
        EmbeddingKernel.RequireIncreasing(ids.AsSpan<int>());
        if (!accumulate) F(dtable).Clear();
        EmbeddingScatterAdd(dy, ids, dtable);
    }

    /// <inheritdoc />
    public void DropoutMask(Tensor mask, float keep, ulong seed, long firstIndex) => Philox.DropoutMask(F(mask), keep, seed, firstIndex);

    /// <inheritdoc />
    public void AdamWStep(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, float weightDecay, int step) =>
        AdamWKernel.Step(F(param), F(grad), F(m), F(v), lr, beta1, beta2, eps, weightDecay, step);

    /// <inheritdoc />
    public void SsmKernel(Tensor aRe, Tensor aIm, Tensor c, Tensor logStep, Tensor kernel) =>
        S4DKernel.Generate(F(aRe), F(aIm), F(c), F(logStep)[0], kernel.Length, F(kernel));

    /// <inheritdoc />
    public void SsmKernelBackward(Tensor aRe, Tensor aIm, Tensor c, Tensor logStep, Tensor dKernel,
        Tensor dARe, Tensor dAIm, Tensor dC, Tensor dLogStep, bool accumulate)
    {
        S4DKernel.Backward(F(aRe), F(aIm), F(c), F(logStep)[0], F(dKernel), F(dARe), F(dAIm), F(dC), out float dLog, accumulate);
        F(dLogStep)[0] = (accumulate ? F(dLogStep)[0] : 0f) + dLog;
    }

    /// <inheritdoc />
    /// <remarks>Nothing is kept for the backward: K''s spectrum is a small part of the work on the CPU.</remarks>
    public Tensor? SsmConvolution(Tensor u, Tensor kernel, Tensor d, Tensor y, bool rightToLeft)
    {
        Kernels.Cpu.Ssm.SsmConvolution.Forward(F(u), u.Size(0), u.Size(1), u.Size(2), F(kernel), F(d)[0], F(y), rightToLeft);
        return null;
    }

    /// <inheritdoc />
    public void SsmConvolutionBackward(Tensor u, Tensor kernel, Tensor d, Tensor dy, Tensor du, Tensor dKernel, Tensor dD, bool accumulateSkip, bool rightToLeft,
        Tensor? kernelSpectrum)
    {
        Kernels.Cpu.Ssm.SsmConvolution.Backward(F(u), F(dy), u.Size(0), u.Size(1), u.Size(2), F(kernel), F(d)[0], F(du), F(dKernel), out float dSkip, rightToLeft);
        F(dD)[0] = (accumulateSkip ? F(dD)[0] : 0f) + dSkip;
    }

    private static Span<float> F(Tensor t) => t.AsSpan<float>();

    private static CpuStorage Cpu(TensorStorage storage) =>
        storage as CpuStorage ?? throw new ArgumentException($"the CPU backend got a tensor on {storage.Device}");

    /// <summary>int64 views are rare (ids as loaded from files): a plain index walk suffices.</summary>
    private static void CopyStridedLongs(Tensor source, long[] data, Span<long> destination)
    {
        var index = new int[source.Rank];
        for (int flat = 0; flat < destination.Length; flat++)
        {
            long offset = source.Offset;
            for (int d = 0; d < index.Length; d++) offset += (long)index[d] * source.Strides[d];
            destination[flat] = data[offset];
            for (int d = index.Length - 1; d >= 0 && ++index[d] == source.Shape[d]; d--) index[d] = 0;
        }
    }
}
