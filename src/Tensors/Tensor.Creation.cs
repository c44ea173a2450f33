namespace BiGS.Native.Tensors;

public sealed partial class Tensor
{
    /// <summary>An uninitialised contiguous tensor.</summary>
    public static Tensor Empty(DType dtype, Device device, params int[] shape) => Allocate(dtype, device, shape, zeroed: false);

    /// <summary>A float32 tensor of zeros on the CPU.</summary>
    public static Tensor Zeros(params int[] shape) => Zeros(Device.Cpu, shape);

    /// <summary>A float32 tensor of zeros on a device.</summary>
    public static Tensor Zeros(Device device, params int[] shape) => Allocate(DType.Float32, device, shape, zeroed: true);

    /// <summary>A zero tensor with another tensor's shape, dtype and device.</summary>
    public static Tensor ZerosLike(Tensor like) => Allocate(like.DType, like.Device, like.shape, zeroed: true);

    /// <summary>A float32 tensor of ones.</summary>
    public static Tensor Ones(params int[] shape) => Full(1f, shape);

    /// <summary>A float32 tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(float value, params int[] shape) => Full(Device.Cpu, value, shape);

    /// <summary>A float32 tensor filled with <paramref name="value"/> on a device.</summary>
    public static Tensor Full(Device device, float value, params int[] shape)
    {
        var t = Allocate(DType.Float32, device, shape, zeroed: false);
        t.Backend.Fill(t, value);
        return t;
    }

    /// <summary>A float32 scalar (shape ()).</summary>
    public static Tensor Scalar(float value) => FromArray([value]);

    /// <summary>0, 1, ..., n-1 as float32.</summary>
    public static Tensor Arange(int n) => FromArray(Enumerable.Range(0, n).Select(i => (float)i).ToArray(), n);

    /// <summary>0, 1, ..., n-1 as int32.</summary>
    public static Tensor ArangeInt(int n) => FromInts(Enumerable.Range(0, n).ToArray(), n);

    /// <summary>The int32 vector 0, 1, ..., n-1 made on <paramref name="device"/> itself (no copy from the host).</summary>
    public static Tensor ArangeInt(int n, Device device)
    {
        var ids = Empty(DType.Int32, device, n);
        ids.Backend.Iota(ids);
        return ids;
    }

    /// <summary>A float32 tensor holding a copy of <paramref name="data"/> (shape defaults to 1-D).</summary>
    public static Tensor FromArray(ReadOnlySpan<float> data, params int[] shape) => FromHost(DType.Float32, data, shape);

    /// <summary>An int32 tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromInts(ReadOnlySpan<int> data, params int[] shape) => FromHost(DType.Int32, data, shape);

    /// <summary>An int64 tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromLongs(ReadOnlySpan<long> data, params int[] shape) => FromHost(DType.Int64, data, shape);

    /// <summary>Normal(mean, std) samples.</summary>
    public static Tensor RandomNormal(Rng rng, float mean, float std, params int[] shape) =>
        FromSampler(shape, () => (float)(mean + std * rng.NextNormal()));

    /// <summary>Uniform samples in [low, high).</summary>
    public static Tensor RandomUniform(Rng rng, float low, float high, params int[] shape) =>
        FromSampler(shape, () => (float)(low + (high - low) * rng.NextDouble()));

    /// <summary>Normal(0, std) samples redrawn until they fall within two standard deviations.</summary>
    public static Tensor TruncatedNormal(Rng rng, float std, params int[] shape) =>
        FromSampler(shape, () =>
        {
            double z;
            do z = rng.NextNormal(); while (Math.Abs(z) > 2.0);
            return (float)(std * z);
        });

    /// <summary>1 with probability p, else 0 (dropout masks).</summary>
    public static Tensor Bernoulli(Rng rng, float p, params int[] shape) =>
        FromSampler(shape, () => rng.NextDouble() < p ? 1f : 0f);

    /// <summary>A CPU tensor of samples, drawn straight into its storage (no host array beside it).</summary>
    private static Tensor FromSampler(int[] shape, Func<float> sample)
    {
        var tensor = Empty(DType.Float32, Device.Cpu, shape);
        var values = tensor.AsSpan<float>();
        for (int i = 0; i < values.Length; i++) values[i] = sample();
        return tensor;
    }

    private static Tensor FromHost<T>(DType dtype, ReadOnlySpan<T> data, int[] shape) where T : unmanaged
    {
        int[] resolved = shape.Length == 0 && data.Length != 1 ? [data.Length] : shape;
        if (ShapeUtil.Count(resolved) != data.Length)
            throw new ArgumentException($"{data.Length} values cannot fill shape {ShapeUtil.Format(resolved)}");
        var t = Allocate(dtype, Device.Cpu, resolved, zeroed: false);
        t.Backend.CopyFromHost(data, t.Storage, 0);
        return t;
    }

    internal static Tensor Allocate(DType dtype, Device device, ReadOnlySpan<int> shape, bool zeroed)
    {
        var checkedShape = ShapeUtil.Checked(shape);
        var storage = device.Backend.Allocate(dtype, ShapeUtil.Count(checkedShape), zeroed);
        return new Tensor(storage, checkedShape, ShapeUtil.ContiguousStrides(checkedShape), 0);
    }
}
