using System.Runtime.CompilerServices;
using BiGS.Native.Tensors;

namespace BiGS.Native.Autograd;

/// <summary>A trainable leaf variable with a checkpoint name; its value lives outside every tensor scope.</summary>
public sealed class Parameter : Variable
{
    /// <summary>Wraps a tensor as a named trainable parameter.</summary>
    public Parameter(string name, Tensor value) : base(value.KeepAlive(), requiresGrad: true, name) => Hold(value.Storage);

    /// <summary>
    /// How many parameters hold each storage as (part of) their value. A storage the last holder lets go of (a value
    /// replaced by <see cref="Assign"/>) is released at once rather than left to the garbage collector: device memory
    /// has no finalizer, and on the CPU the old weights would sit beside the new ones until a full collection. Storages
    /// shared with another parameter (a fine-tuned model copying a pretrained one's values) stay while it holds them.
    /// </summary>
    private static readonly ConditionalWeakTable<TensorStorage, StrongBox<int>> Holders = new();

    /// <summary>The parameter's local name within its module (e.g. "weight").</summary>
    public new string Name => base.Name!;

    /// <summary>
    /// The buffer that the values of <paramref name="parameters"/> fill exactly, back to back in some order (a model
    /// moved to a device: <c>Module.To</c>), as one one-dimensional tensor, when no other parameter holds any of it;
    /// else null. The values can then be rearranged within it (<see cref="Relocate"/>) without touching another's.
    /// </summary>
    public static Tensor? SoleBufferOf(IReadOnlyList<Parameter> parameters)
    {
        if (parameters.Count == 0) return null;
        var values = parameters.Select(p => p.Value).OrderBy(v => v.Offset).ToList();
        var storage = values[0].Storage;
        bool backToBack = values[0].Offset == 0 && values.Zip(values.Skip(1)).All(pair => pair.First.IsFollowedBy(pair.Second))
            && values[^1].Offset + values[^1].Count == storage.Length;
        bool heldByTheseAlone = Holders.TryGetValue(storage, out var holders) && holders.Value == parameters.Count;
        return backToBack && heldByTheseAlone ? values[0].SpanThrough(values[^1]) : null;
    }

    /// <summary>
    /// Points the value at <paramref name="view"/>, a contiguous view of the parameter's shape that already holds its
    /// values (the optimizer rearranging a model's values within their buffer). The gradient stays.
    /// </summary>
    public void Relocate(Tensor view)
    {
        RequireOwnShape("value view", view);
        Replace(view);
    }

    /// <summary>
    /// Makes <paramref name="home"/>, a contiguous view of the parameter's shape in a flat buffer that many parameters'
    /// gradients share, the gradient from now on (the current gradient, if any, is copied there).
    /// </summary>
    public void UseGradientHome(Tensor home)
    {
        RequireOwnShape("gradient view", home);
        if (Grad is { } grad) home.CopyFrom(grad);
        GradHome = home.KeepAlive();
        if (Grad is not null) Grad = home;
    }

    /// <summary>
    /// Replaces the value (loading a checkpoint, moving to a device). The shape must stay the same; the old
    /// gradient is dropped.
    /// </summary>
    public void Assign(Tensor value)
    {
        if (!value.Shape.SequenceEqual(Value.Shape))
            throw new ArgumentException($"parameter {Name}: cannot assign shape {value.ShapeString} to shape {Value.ShapeString}");
        Replace(value);
        Grad = null;
    }

    /// <summary>Makes <paramref name="value"/> the value, releasing the old value's storage when no parameter holds it any more.</summary>
    private void Replace(Tensor value)
    {
        var old = Value.Storage;
        Hold(value.KeepAlive().Storage);
        Value = value;
        if (Interlocked.Decrement(ref Holders.GetOrCreateValue(old).Value) == 0) old.Dispose();
    }

    private static void Hold(TensorStorage storage) => Interlocked.Increment(ref Holders.GetOrCreateValue(storage).Value);

    private void RequireOwnShape(string what, Tensor view)
    {
        if (!view.Shape.SequenceEqual(Value.Shape) || !view.IsContiguous)
            throw new ArgumentException($"parameter {Name}: the {what} {view.ShapeString} is not a contiguous tensor of the parameter's shape {Value.ShapeString}");
    }
}
