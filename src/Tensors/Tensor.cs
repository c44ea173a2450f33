using System.Text;

namespace BiGS.Native.Tensors;

/// <summary>
/// An n-dimensional array: a view (shape, strides, offset) onto a <see cref="TensorStorage"/> on some
/// <see cref="Device"/>. Views made by Reshape/Permute/Slice/Flip/Expand share the storage; operations
/// allocate new contiguous results. Compute is float32; int32/int64 tensors carry ids and labels.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private readonly int[] shape;
    private readonly int[] strides;

    internal Tensor(TensorStorage storage, int[] shape, int[] strides, int offset)
    {
        Storage = storage;
        this.shape = shape;
        this.strides = strides;
        Offset = offset;
    }

    /// <summary>The memory this tensor views.</summary>
    public TensorStorage Storage { get; }

    /// <summary>Element type, the storage's (views share it).</summary>
    public DType DType => Storage.DType;

    /// <summary>Device holding the storage.</summary>
    public Device Device => Storage.Device;

    /// <summary>Size of each dimension, outermost first (row-major order of the logical elements).</summary>
    public ReadOnlySpan<int> Shape => shape;

    /// <summary>Element strides per dimension (0 on broadcast dims, negative on flipped dims).</summary>
    public ReadOnlySpan<int> Strides => strides;

    /// <summary>Index of the first element in the storage.</summary>
    public int Offset { get; }

    /// <summary>Number of dimensions: the length of <see cref="Shape"/>.</summary>
    public int Rank => shape.Length;

    /// <summary>Number of logical elements: the product of <see cref="Shape"/>, not the storage's length.</summary>
    public long Count => ShapeUtil.Count(shape);

    /// <summary>Number of elements as an int (tensors here stay below 2^31 elements).</summary>
    public int Length => checked((int)Count);

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => shape[ShapeUtil.NormalizeAxis("Size", dim, Rank)];

    /// <summary>The shape as a new array.</summary>
    public int[] ShapeArray() => (int[])shape.Clone();

    /// <summary>The shape formatted like "(2,3)", for messages.</summary>
    public string ShapeString => ShapeUtil.Format(shape);

    /// <summary>True when the elements are laid out row-major without gaps from <see cref="Offset"/>.</summary>
    public bool IsContiguous
    {
        get
        {
            int expected = 1;
            for (int i = Rank - 1; i >= 0; i--)
            {
                if (shape[i] != 1 && strides[i] != expected) return false;
                expected *= shape[i];
            }
            return true;
        }
    }

    internal ITensorBackend Backend => Device.Backend;

    /// <summary>Returns the storage to its pool now (every view of it becomes unusable).</summary>
    public void Dispose() => Storage.Dispose();

    /// <summary>Keeps this tensor's storage alive past the innermost <see cref="TensorScope"/>.</summary>
    public Tensor Keep()
    {
        TensorScope.Keep(Storage);
        return this;
    }

    /// <summary>
    /// Removes this tensor's storage from every open <see cref="TensorScope"/> (for long-lived tensors such as
    /// parameters, gradients and optimizer state created while a scope is open).
    /// </summary>
    public Tensor KeepAlive()
    {
        TensorScope.KeepAlive(Storage);
        return this;
    }

    /// <summary>A contiguous tensor with the same values (this one if already contiguous).</summary>
    public Tensor Contiguous()
    {
        if (IsContiguous) return this;
        var result = Empty(DType, Device, shape);
        Backend.CopyStrided(this, result);
        return result;
    }

    /// <summary>
    /// Frees <paramref name="contiguous"/> (a result of <paramref name="source"/>.Contiguous(), or a view of it) if it
    /// is a copy rather than <paramref name="source"/>'s own memory: a kernel's packed operand need not live until the
    /// enclosing scope closes.
    /// </summary>
    public static void ReleaseCopy(Tensor contiguous, Tensor source)
    {
        if (!ReferenceEquals(contiguous.Storage, source.Storage)) contiguous.Storage.Dispose();
    }

    /// <summary>A contiguous copy that never shares storage with this tensor.</summary>
    public Tensor Clone()
    {
        var result = Empty(DType, Device, shape);
        Backend.CopyStrided(this, result);
        return result;
    }

    /// <summary>Copies the tensor to another device (returns this tensor when already there).</summary>
    public Tensor To(Device device)
    {
        if (device.Equals(Device)) return this;
        var result = Empty(DType, device, shape);
        result.CopyFrom(this);
        return result;
    }

    /// <summary>A short description: dtype, shape, device and the first few values.</summary>
    public override string ToString()
    {
        var text = new StringBuilder($"Tensor({DType.Name()}, {ShapeString}, {Device}");
        if (!Storage.IsDisposed && Count > 0)
        {
            var values = DType == DType.Float32
                ? ToArray().Take(6).Select(v => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture))
                : ToLongArray().Take(6).Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture));
            text.Append(", [").Append(string.Join(", ", values)).Append(Count > 6 ? ", ...]" : "]");
        }
        return text.Append(')').ToString();
    }

    internal void RequireDType(string op, DType dtype)
    {
        if (DType != dtype)
            throw new ArgumentException($"{op}: expected a {dtype.Name()} tensor but got {DType.Name()} {ShapeString}");
    }

    internal void RequireRank(string op, int rank)
    {
        if (Rank != rank)
            throw new ArgumentException($"{op}: expected a rank-{rank} tensor but got shape {ShapeString}");
    }

    internal static void RequireSameDevice(string op, Tensor a, Tensor b)
    {
        if (!a.Device.Equals(b.Device))
            throw new ArgumentException($"{op}: tensors are on different devices ({a.Device} and {b.Device}); copy with To(device) first");
    }

    /// <summary>
    /// Each gradient target is contiguous, shaped like the tensor whose gradient it receives and on its device (the
    /// backends write it directly).
    /// </summary>
    private static void RequireGradientTargets(string op, params (Tensor Parameter, Tensor Gradient)[] pairs)
    {
        foreach (var (parameter, gradient) in pairs)
        {
            RequireSameShape(op, parameter, gradient);
            RequireSameDevice(op, parameter, gradient);
            if (!gradient.IsContiguous) throw new ArgumentException($"{op}: the gradient target {gradient.ShapeString} must be contiguous");
        }
    }
}
