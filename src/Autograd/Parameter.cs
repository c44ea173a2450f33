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
}
