using BiGS.Native.Tensors;

namespace BiGS.Native.Autograd;

/// <summary>A trainable leaf variable with a checkpoint name; its value lives outside every tensor scope.</summary>
public sealed class Parameter : Variable
{
    /// <summary>Wraps a tensor as a named trainable parameter.</summary>
    public Parameter(string name, Tensor value) : base(value.KeepAlive(), requiresGrad: true, name) { }

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
        Value = value.KeepAlive();
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
        Value = value.KeepAlive();
        Grad = null;
    }

    private void RequireOwnShape(string what, Tensor view)
    {
        if (!view.Shape.SequenceEqual(Value.Shape) || !view.IsContiguous)
            throw new ArgumentException($"parameter {Name}: the {what} {view.ShapeString} is not a contiguous tensor of the parameter's shape {Value.ShapeString}");
    }
}
