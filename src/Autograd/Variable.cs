using BiGS.Native.Tensors;

namespace BiGS.Native.Autograd;

/// <summary>
/// A tensor that remembers how it was made. Operations in <see cref="Ops"/> on variables that require grad record
/// a <see cref="GradNode"/>; <see cref="Backward(bool)"/> on a scalar walks those records in reverse and accumulates
/// d(output)/d(leaf) into each leaf's <see cref="Grad"/>.
/// </summary>
public class Variable
{
    /// <summary>Wraps a tensor; a leaf that requires grad receives a gradient in <see cref="Grad"/>.</summary>
    public Variable(Tensor value, bool requiresGrad = false, string? name = null)
    {
        Value = value;
        RequiresGrad = requiresGrad;
        Name = name;
    }

    internal Variable(Tensor value, GradNode node) : this(value, requiresGrad: true) => Node = node;

    /// <summary>The tensor this variable holds: a forward result, or a parameter's current weights.</summary>
    public Tensor Value { get; protected set; }

    /// <summary>
    /// The accumulated gradient of a leaf (null until a backward reaches it). Backward ops write into it in place (a
    /// GEMM with beta 1, a scatter-add), so one set here must be contiguous, shaped like <see cref="Value"/> and on its
    /// device; zeros (or a previous gradient) are accumulated onto.
    /// </summary>
    public Tensor? Grad { get; set; }

    /// <summary>Whether gradients flow to or through this variable.</summary>
    public bool RequiresGrad { get; }

    /// <summary>Optional name (parameters carry their checkpoint name).</summary>
    public string? Name { get; set; }

    /// <summary>True for variables made by the user rather than by an operation.</summary>
    public bool IsLeaf => Node is null;

    internal GradNode? Node { get; }

    /// <summary>The shape of the value.</summary>
    public ReadOnlySpan<int> Shape => Value.Shape;

    /// <summary>A variable with the same value that records nothing (gradients stop here).</summary>
    public Variable Detach() => new(Value);

    /// <summary>Resets the gradient to zero (keeps the buffer).</summary>
    public void ZeroGrad() => Grad?.FillInPlace(0f);

    /// <summary>
    /// Back-propagates from this scalar: every leaf that requires grad accumulates d(this)/d(leaf).
    /// With <paramref name="releaseGraph"/> the forward memory is freed during the
    /// sweep, as soon as nothing reads it again (as PyTorch frees a graph's saved tensors). A training step's peak
    /// memory then stays near the end of its forward pass instead of adding the whole backward on top. Afterwards
    /// only this variable's value and the leaves' (parameters, inputs) remain readable: read any other value
    /// (logits, hidden states) before calling, and the graph cannot be back-propagated again.
    /// </summary>
    public void Backward(bool releaseGraph = false)
    {
        if (Value.Count != 1)
            throw new InvalidOperationException($"Backward needs a scalar output, got shape {Value.ShapeString}; reduce it first (e.g. Ops.Sum)");
        Backward(Tensor.Full(Value.Device, 1f, Value.ShapeArray()), releaseGraph);
    }

    /// <summary>
    /// Back-propagates a given output gradient (same shape as the value), releasing the graph's forward memory when
    /// asked (see <see cref="Backward(bool)"/>). <paramref name="leafGradReady"/>, when given, is called with each
    /// leaf as soon as this pass has finished adding to its <see cref="Grad"/> (data parallelism starts reducing it).
    /// </summary>
    public void Backward(Tensor outputGrad, bool releaseGraph = false, Action<Variable>? leafGradReady = null) =>
        BackwardPass.Run(this, outputGrad, releaseGraph, leafGradReady);

    /// <summary>
    /// True when a backward writes this variable's gradient straight into <see cref="Grad"/> (a leaf that requires
    /// grad) rather than handing the pass a tensor.
    /// </summary>
    internal bool ReceivesGradInPlace => IsLeaf && RequiresGrad;

    /// <summary>Set when a backward has written into <see cref="Grad"/> during the current pass (the pass clears it).</summary>
    internal bool GradWrittenInPass { get; set; }

    /// <summary>
    /// Where a backward writes this leaf's gradient as c = product + beta c: the existing <see cref="Grad"/> with
    /// <paramref name="beta"/> 1 (accumulate: micro-batches, shared parameters, a zeroed gradient), or a new,
    /// uninitialised one with beta 0 (overwrite, so nothing reads it first).
    /// </summary>
    internal Tensor GradDestination(out float beta)
    {
        beta = Grad is null ? 0f : 1f;
        GradWrittenInPass = true;
        return Grad ??= AllocateGrad(zeroed: false);
    }

    /// <summary>
    /// <see cref="Grad"/> for a backward that can only add to its target (scatter-add, accumulating column sums):
    /// allocated as zeros when absent.
    /// </summary>
    internal Tensor GradAccumulator()
    {
        GradWrittenInPass = true;
        return EnsureGrad();
    }

    /// <summary>
    /// <see cref="Grad"/>, allocated as zeros when absent: a buffer anything may add a gradient into (e.g. a reduced
    /// gradient received from other ranks).
    /// </summary>
    public Tensor EnsureGrad() => Grad ??= AllocateGrad(zeroed: true);

    /// <summary>Adds a gradient handed on by a backward into the leaf's <see cref="Grad"/> (copied when there is none yet).</summary>
    internal void AccumulateLeafGrad(Tensor g)
    {
        var destination = GradDestination(out float beta);
        if (beta == 0f) destination.CopyFrom(g);
        else destination.AddScaledInPlace(g, 1f);
    }

    /// <summary>
    /// Where this leaf's gradient goes when it gets one: null for a new tensor, or a view of a flat gradient buffer
    /// that the gradients of many parameters share (<see cref="Parameter.UseGradientHome"/>). Data parallelism sums runs of
    /// homes lying back to back where they are, as one message.
    /// </summary>
    public Tensor? GradHome { get; protected set; }

    /// <summary>
    /// The one place a gradient buffer is made: shaped like the value, on its device, outside every tensor scope
    /// (it outlives the step): the gradient home (a view of a flat gradient buffer) when there is one, else a new
    /// tensor. With <paramref name="zeroed"/> false its contents are undefined until written.
    /// </summary>
    private Tensor AllocateGrad(bool zeroed)
    {
        if (GradHome is not { } home)
            return (zeroed ? Tensor.ZerosLike(Value) : Tensor.Empty(Value.DType, Value.Device, Value.ShapeArray())).KeepAlive();
        if (zeroed) home.FillInPlace(0f);
        return home;
    }

    /// <inheritdoc />
    public override string ToString() => $"Variable({Name ?? Node?.Name ?? "leaf"}, {Value})";
}
