using BiGS.Native.Kernels.Cpu;

namespace BiGS.Native.Tensors;

public sealed partial class Tensor
{
    /// <summary>Elementwise a + b with broadcasting.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Binary(BinaryOp.Add, a, b);

    /// <summary>Elementwise a - b with broadcasting.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Binary(BinaryOp.Sub, a, b);

    /// <summary>Elementwise a * b with broadcasting.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Binary(BinaryOp.Mul, a, b);

    /// <summary>Elementwise a / b with broadcasting.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Binary(BinaryOp.Div, a, b);

    /// <summary>a + s.</summary>
    public static Tensor operator +(Tensor a, float s) => BinaryScalar(BinaryOp.Add, a, s, scalarFirst: false);

    /// <summary>a - s.</summary>
    public static Tensor operator -(Tensor a, float s) => BinaryScalar(BinaryOp.Sub, a, s, scalarFirst: false);

    /// <summary>a * s.</summary>
    public static Tensor operator *(Tensor a, float s) => BinaryScalar(BinaryOp.Mul, a, s, scalarFirst: false);

    /// <summary>s * a.</summary>
    public static Tensor operator *(float s, Tensor a) => BinaryScalar(BinaryOp.Mul, a, s, scalarFirst: false);

    /// <summary>a / s.</summary>
    public static Tensor operator /(Tensor a, float s) => BinaryScalar(BinaryOp.Div, a, s, scalarFirst: false);

    /// <summary>s - a.</summary>
    public static Tensor operator -(float s, Tensor a) => BinaryScalar(BinaryOp.Sub, a, s, scalarFirst: true);

    /// <summary>-a.</summary>
    public static Tensor operator -(Tensor a) => a.Apply(UnaryOp.Neg);

    /// <summary>Elementwise binary op with NumPy broadcasting; the result is contiguous.</summary>
    public static Tensor Binary(BinaryOp op, Tensor a, Tensor b)
    {
        string name = op.ToString();
        a.RequireDType(name, DType.Float32);
        b.RequireDType(name, DType.Float32);
        RequireSameDevice(name, a, b);
        var shape = ShapeUtil.Broadcast(name, a.shape, b.shape);
        var y = Empty(DType.Float32, a.Device, shape);
        a.Backend.Binary(op, a.Expand(shape), b.Expand(shape), y);
        return y;
    }

    /// <summary>Elementwise op between a tensor and a scalar (s op a when <paramref name="scalarFirst"/>).</summary>
    public static Tensor BinaryScalar(BinaryOp op, Tensor a, float s, bool scalarFirst)
    {
        a.RequireDType(op.ToString(), DType.Float32);
        var x = a.Contiguous();
        var y = Empty(DType.Float32, a.Device, a.shape);
        a.Backend.BinaryScalar(op, x, s, scalarFirst, y);
        return y;
    }

    /// <summary>Elementwise maximum with broadcasting.</summary>
    public static Tensor Maximum(Tensor a, Tensor b) => Binary(BinaryOp.Max, a, b);

    /// <summary>Elementwise minimum with broadcasting.</summary>
    public static Tensor Minimum(Tensor a, Tensor b) => Binary(BinaryOp.Min, a, b);

    /// <summary>Applies a unary function elementwise.</summary>
    public Tensor Apply(UnaryOp op)
    {
        RequireDType(op.ToString(), DType.Float32);
        var x = Contiguous();
        var y = Empty(DType.Float32, Device, shape);
        Backend.Unary(op, x, y);
        return y;
    }

    /// <summary>dy * op'(x) given x, y = op(x) and dy (all the same shape).</summary>
    public static Tensor ApplyBackward(UnaryOp op, Tensor x, Tensor y, Tensor dy)
    {
        RequireSameShape($"{op} backward", x, dy);
        var dx = Empty(DType.Float32, x.Device, x.shape);
        x.Backend.UnaryBackward(op, x.Contiguous(), y.Contiguous(), dy.Contiguous(), dx);
        return dx;
    }

    /// <summary>e^x.</summary>
    public Tensor Exp() => Apply(UnaryOp.Exp);

    /// <summary>Natural logarithm.</summary>
    public Tensor Log() => Apply(UnaryOp.Log);

    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh() => Apply(UnaryOp.Tanh);

    /// <summary>Square root.</summary>
    public Tensor Sqrt() => Apply(UnaryOp.Sqrt);

    /// <summary>Clamps every element into [min, max].</summary>
    public Tensor Clamp(float min, float max) =>
        BinaryScalar(BinaryOp.Min, BinaryScalar(BinaryOp.Max, this, min, false), max, false);

    /// <summary>In place: this += alpha * x (same element count; this must be contiguous).</summary>
    public void AddScaledInPlace(Tensor x, float alpha)
    {
        if (!IsContiguous) throw new InvalidOperationException($"AddScaledInPlace: target {ShapeString} must be contiguous");
        if (x.Count != Count) throw new ArgumentException($"AddScaledInPlace: {x.ShapeString} does not match {ShapeString}");
        Backend.AddScaled(x.Contiguous(), alpha, this);
    }

    /// <summary>
    /// In place: this += x, x read where it lies (any view of the same shape: a flipped or transposed one costs no copy).
    /// This must be contiguous.
    /// </summary>
    public void AddInPlace(Tensor x)
    {
        if (!IsContiguous) throw new InvalidOperationException($"AddInPlace: target {ShapeString} must be contiguous");
        RequireSameShape("AddInPlace", this, x);
        RequireSameDevice("AddInPlace", this, x);
        Backend.Binary(BinaryOp.Add, this, x, this);
    }

    /// <summary>
    /// In place, for global-norm clipping: this *= maxNorm / n where n = sqrt(sumOfSquares) (a one-element tensor on
    /// this device, e.g. the squared gradients of every parameter summed) is finite and exceeds maxNorm; unchanged
    /// otherwise. The norm is never read back to the host.
    /// </summary>
    public void ClipToNormInPlace(Tensor sumOfSquares, float maxNorm)
    {
        if (!IsContiguous) throw new InvalidOperationException($"ClipToNormInPlace: target {ShapeString} must be contiguous");
        if (sumOfSquares.Count != 1) throw new ArgumentException($"ClipToNormInPlace: the sum of squares must have one element, got shape {sumOfSquares.ShapeString}");
        if (!sumOfSquares.Device.Equals(Device)) throw new ArgumentException($"ClipToNormInPlace: the sum of squares is on {sumOfSquares.Device}, the tensor on {Device}");
        Backend.ClipToNorm(this, sumOfSquares.Contiguous(), maxNorm);
    }

    /// <summary>In place: every element set to <paramref name="value"/> (contiguous tensors only).</summary>
    public void FillInPlace(float value)
    {
        if (!IsContiguous) throw new InvalidOperationException($"FillInPlace: {ShapeString} must be contiguous");
        Backend.Fill(this, value);
    }

    /// <summary>
    /// In place: copies <paramref name="source"/>'s values (same shape and dtype, any device) into this contiguous
    /// tensor. From another device they go through host memory, and no temporary is made on this tensor's device.
    /// </summary>
    public void CopyFrom(Tensor source)
    {
        RequireSameShape("CopyFrom", this, source);
        if (!IsContiguous) throw new InvalidOperationException($"CopyFrom: target {ShapeString} must be contiguous");
        if (source.Device.Equals(Device)) Backend.CopyStrided(source, this);
        else CopyThroughHost(source.Contiguous());
    }

    /// <summary>Writes a contiguous tensor of another device into this one from host memory.</summary>
    private void CopyThroughHost(Tensor source)
    {
        switch (DType)
        {
            case DType.Float32: Backend.CopyFromHost(HostValues<float>(source), Storage, Offset); break;
            case DType.Int32: Backend.CopyFromHost(HostValues<int>(source), Storage, Offset); break;
            default: Backend.CopyFromHost(HostValues<long>(source), Storage, Offset); break;
        }
    }

    /// <summary>A contiguous tensor's elements in host memory: its own storage on the CPU (no copy), else a copy.</summary>
    private static ReadOnlySpan<T> HostValues<T>(Tensor source) where T : unmanaged =>
        source.Storage is Backends.CpuStorage ? source.AsSpan<T>() : source.CopyOut<T>();

    internal static void RequireSameShape(string op, Tensor a, Tensor b)
    {
        if (!a.shape.AsSpan().SequenceEqual(b.shape))
            throw new ArgumentException($"{op}: shapes {a.ShapeString} and {b.ShapeString} differ");
    }
}
