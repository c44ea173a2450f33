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
    /// replaced by <see cref="Assign"/> or moved by <see cref="MoveInto"/>) is released at once rather than left to the
    /// garbage collector: device memory has no finalizer, and on the CPU the old weights would sit beside the new ones
    /// until a full collection. Storages shared with another parameter (a fine-tuned model copying a pretrained one's
    /// values) stay while it holds them.
    /// </summary>
    private static readonly ConditionalWeakTable<TensorStorage, StrongBox<int>> Holders = new();

    /// <summary>The parameter's local name within its module (e.g. "weight").</summary>
    public new string Name => base.Name!;

    /// <summary>
    /// Moves the parameter into views of flat buffers that many parameters share, so that one launch can update them
    /// all: the current value is copied into <paramref name="value"/>, which becomes <see cref="Variable.Value"/>, and
    /// <paramref name="gradHome"/> holds the gradient from now on (the current gradient, if any, is copied there).
    /// Both views must have the parameter's shape and be contiguous.
    /// </summary>
    public void MoveInto(Tensor value, Tensor gradHome)
    {
        RequireOwnShape("value view", value);
        RequireOwnShape("gradient view", gradHome);
        value.CopyFrom(Value);
        Replace(value);
        if (Grad is { } grad) gradHome.CopyFrom(grad);
        GradHome = gradHome.KeepAlive();
        if (Grad is not null) Grad = gradHome;
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
