using BiGS.Native.Kernels.Cpu;

namespace BiGS.Native.Tensors;

/// <summary>
/// The primitives a device must provide. The tensor layer checks shapes, allocates outputs (contiguous) and makes
/// inputs contiguous where a primitive needs it; a backend only computes. Each method documents which of its
/// tensor arguments may be non-contiguous views.
/// </summary>
public interface ITensorBackend
{
    /// <summary>Short name ("cpu", "opencl", ...).</summary>
    string Name { get; }

    /// <summary>Allocates storage; contents are undefined unless <paramref name="zeroed"/>.</summary>
    TensorStorage Allocate(DType dtype, long length, bool zeroed);

    /// <summary>Copies host elements into storage starting at element <paramref name="offset"/>.</summary>
    void CopyFromHost<T>(ReadOnlySpan<T> source, TensorStorage destination, long offset) where T : unmanaged;

    /// <summary>Copies storage elements starting at <paramref name="offset"/> to the host.</summary>
    void CopyToHost<T>(TensorStorage source, long offset, Span<T> destination) where T : unmanaged;

    /// <summary>Fills a contiguous float tensor.</summary>
    void Fill(Tensor destination, float value);

    /// <summary>destination[i] = i for a contiguous int32 tensor: ids made where they are used, nothing copied from the host.</summary>
    void Iota(Tensor destination);

    /// <summary>Copies any view (float or int) into a contiguous tensor of the same shape and dtype.</summary>
    void CopyStrided(Tensor source, Tensor destination);

    /// <summary>y = op(x), both contiguous, same shape.</summary>
    void Unary(UnaryOp op, Tensor x, Tensor y);

    /// <summary>dx = dy * op'(x), y = op(x); all contiguous.</summary>
    void UnaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor dy, Tensor dx);

    /// <summary>y = a op b; a and b are views already broadcast to y's shape (stride 0 on broadcast dims).</summary>
    void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y);

    /// <summary>y = a op s (or s op a when <paramref name="scalarFirst"/>); contiguous.</summary>
    void BinaryScalar(BinaryOp op, Tensor a, float s, bool scalarFirst, Tensor y);

    /// <summary>y += alpha * x, contiguous, same element count.</summary>
    void AddScaled(Tensor x, float alpha, Tensor y);

    /// <summary>
    /// Batched matrix product c[i] = act(alpha * op(a[i]) op(b[i]) + beta * c[i] + bias) + residual (see
    /// <see cref="GemmEpilogue"/>; its tensors, checked by the caller, are only given with batch 1). a is (batchA, rows,
    /// cols) with batchA 1 (broadcast) or the batch; likewise b; c is (batch, m, n). All contiguous. The products are
    /// taken at <paramref name="precision"/> with fp32 accumulation.
    /// </summary>
    void MatMul(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, GemmEpilogue epilogue, Precision precision);

    /// <summary>Reduces x viewed as (outer, axis, inner) along the middle dimension into y (outer, inner).</summary>
    void Reduce(ReduceKind kind, Tensor x, int outer, int axis, int inner, Tensor y);

    /// <summary>
    /// sums = column sums of x (rows, cols), or sums += them with <paramref name="accumulate"/> (a bias gradient
    /// written into, or added onto, the parameter's gradient).
    /// </summary>
    void ColumnSums(Tensor x, Tensor sums, bool accumulate);

    /// <summary>dst (+=) src summed over the dimensions where dst has size 1 (the backward of broadcasting).</summary>
    void ReduceToShape(Tensor source, Tensor destination);

    /// <summary>y = gelu(x + bias) over rows; x (rows, cols), bias (cols).</summary>
    void BiasGelu(GeluKind kind, Tensor x, Tensor bias, Tensor y);

    /// <summary>dx = dy * gelu'(x + bias); dbias (+=) column sums of dx.</summary>
    void BiasGeluBackward(GeluKind kind, Tensor x, Tensor bias, Tensor dy, Tensor dx, Tensor dbias);

    /// <summary>
    /// Backward of y = (z + bias) * gate over (rows, cols): dz = dy gate and dGate = dy (z + bias) written, the column
    /// sums of dz added into dbias.
    /// </summary>
    void BiasProductBackward(Tensor z, Tensor bias, Tensor gate, Tensor dy, Tensor dz, Tensor dGate, Tensor dbias);

    /// <summary>
    /// Backward of the gated pair y = gelu(a + bias) * gelu(g + gateBias), a and g (rows, cols):
    /// da = dy gelu(g + gateBias) gelu'(a + bias), dg = dy gelu(a + bias) gelu'(g + gateBias); dbias and dGateBias (+=)
    /// the column sums of da and dg.
    /// </summary>
    void GatedGeluBackward(GeluKind kind, Tensor a, Tensor bias, Tensor g, Tensor gateBias, Tensor dy, Tensor da, Tensor dg, Tensor dbias, Tensor dGateBias);

    /// <summary>Row LayerNorm; writes y and the saved statistics mean, rstd (rows).</summary>
    void LayerNorm(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd);

    /// <summary>LayerNorm backward; dgamma and dbeta accumulate, dx too when <paramref name="accumulateDx"/> (else overwritten).</summary>
    void LayerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor dx, bool accumulateDx, Tensor dgamma, Tensor dbeta);

    /// <summary>Row softmax (or log-softmax).</summary>
    void Softmax(Tensor x, Tensor y, bool log);

    /// <summary>Backward of <see cref="Softmax"/> from its output y.</summary>
    void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, bool log);

    /// <summary>
    /// Mean cross-entropy over rows whose int32 label is not ignoreIndex, into the one-element <paramref name="loss"/>
    /// (0 when no row is used) and the number of rows used into the one-element <paramref name="count"/> (a float);
    /// writes logSumExp (rows). Nothing is read back to the host: a label outside [0, cols) that is not the ignore
    /// index is reported by an <see cref="ArgumentOutOfRangeException"/> at once on the CPU and, on a GPU, when the
    /// host next reads from the device.
    /// </summary>
    void CrossEntropy(Tensor logits, Tensor labels, int ignoreIndex, Tensor logSumExp, Tensor loss, Tensor count);

    /// <summary>
    /// dlogits = scale[0] * (softmax - onehot) on used rows, 0 elsewhere; scale is a one-element tensor. dlogits may be
    /// logits itself (the gradient written in place): each element is read before its own gradient is written.
    /// </summary>
    void CrossEntropyBackward(Tensor logits, Tensor labels, Tensor logSumExp, int ignoreIndex, Tensor scale, Tensor dlogits);

    /// <summary>
    /// hits[r] = 1 where the int32 label r is in [0, cols) and logits[r, label] &gt;= maxima[r] (the row's arg-max is
    /// the label; ties count), else 0 (ignored or out-of-range labels); logits (rows, cols) contiguous, maxima the
    /// rows' largest logits.
    /// </summary>
    void ArgMaxHits(Tensor logits, Tensor labels, Tensor maxima, Tensor hits);

    /// <summary>
    /// total[0] = (accumulate ? total[0] : 0) + sum of x[i]^2 over the contiguous x, accumulated in double and rounded
    /// to float once; total is a one-element tensor. Nothing is read back to the host.
    /// </summary>
    void SumOfSquares(Tensor x, Tensor total, bool accumulate);

    /// <summary>
    /// Global-norm clipping without reading the norm back: x *= c / n where n = sqrt(sumOfSquares[0]) exceeds
    /// c = <paramref name="maxNorm"/> and is finite; x is unchanged otherwise. sumOfSquares is a one-element tensor.
    /// </summary>
    void ClipToNorm(Tensor x, Tensor sumOfSquares, float maxNorm);

    /// <summary>
    /// y[i] = table[ids[i]]; ids int32. An id outside the table is an <see cref="ArgumentOutOfRangeException"/>, raised
    /// like a bad label in <see cref="CrossEntropy"/>.
    /// </summary>
    void EmbeddingGather(Tensor table, Tensor ids, Tensor y);

    /// <summary>dtable[ids[i]] (+=) dy[i].</summary>
    void EmbeddingScatterAdd(Tensor dy, Tensor ids, Tensor dtable);

    /// <summary>
    /// <see cref="EmbeddingGather"/> for strictly increasing ids; an id not above the one before it is an
    /// <see cref="ArgumentOutOfRangeException"/>, raised like an id outside the table.
    /// </summary>
    void SelectIncreasingRows(Tensor table, Tensor ids, Tensor y);

    /// <summary>
    /// The backward of <see cref="SelectIncreasingRows"/> without a sort (no two positions share a row):
    /// dtable[ids[i]] = dy[i] (+ dtable[ids[i]] with <paramref name="accumulate"/>); the other rows become 0, or keep
    /// their values with <paramref name="accumulate"/>.
    /// </summary>
    void ScatterIncreasingRows(Tensor dy, Tensor ids, Tensor dtable, bool accumulate);

    /// <summary>
    /// Inverted-dropout mask: mask[i] = 1 / keep where uniform number firstIndex + i of the Philox4x32-10 stream with
    /// key <paramref name="seed"/> is below <paramref name="keep"/>, else 0 (the same values on every device).
    /// </summary>
    void DropoutMask(Tensor mask, float keep, ulong seed, long firstIndex);

    /// <summary>One AdamW update of a parameter in place (decoupled decay, bias-corrected, step &gt;= 1).</summary>
    void AdamWStep(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, float weightDecay, int step);

    /// <summary>S4D convolution kernel K (L) from A_re, A_im (N), C (N,2), log_step (1).</summary>
    void SsmKernel(Tensor aRe, Tensor aIm, Tensor c, Tensor logStep, Tensor kernel);

    /// <summary>
    /// Gradients of A_re, A_im, C, log_step from dK: written, or added onto the targets' contents with
    /// <paramref name="accumulate"/> (parameter gradients straight into Grad).
    /// </summary>
    void SsmKernelBackward(Tensor aRe, Tensor aIm, Tensor c, Tensor logStep, Tensor dKernel,
        Tensor dARe, Tensor dAIm, Tensor dC, Tensor dLogStep, bool accumulate);

    /// <summary>
    /// y = causal_conv(u, K) + D u along L for u (B, L, H); D (1). With <paramref name="rightToLeft"/> the convolution
    /// runs from the end of the sequence, y = flip(causal_conv(flip(u), K)) + D u. Returns what the backward may reuse
    /// (the spectrum of K + D delta, in the backend's own layout), or null.
    /// </summary>
    Tensor? SsmConvolution(Tensor u, Tensor kernel, Tensor d, Tensor y, bool rightToLeft);

    /// <summary>
    /// Backward of <see cref="SsmConvolution"/>: du and dK (L) written; dD (1) written, or added onto with
    /// <paramref name="accumulateSkip"/> (D's gradient straight into Grad). <paramref name="kernelSpectrum"/> is what
    /// the forward of the same u, K, D and direction returned.
    /// </summary>
    void SsmConvolutionBackward(Tensor u, Tensor kernel, Tensor d, Tensor dy, Tensor du, Tensor dKernel, Tensor dD, bool accumulateSkip, bool rightToLeft,
        Tensor? kernelSpectrum);
}

/// <summary>Reductions along one axis.</summary>
public enum ReduceKind
{
    /// <summary>Sum over the axis; the output keeps the outer and inner dimensions.</summary>
    Sum,
    /// <summary>The sum over the axis divided by the axis length.</summary>
    Mean,
    /// <summary>Largest element along the axis (no index is returned).</summary>
    Max,
}
