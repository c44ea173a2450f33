using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BiGS.Native.Kernels.Cpu;

/// <summary>
/// A SIMD vector of floats, one value per lane. The CPU kernels (elementwise operators, GELU, LayerNorm, softmax and
/// cross-entropy, AdamW, column sums, the lane FFT of the SSM convolution) are written once against this interface
/// and specialised by the JIT for <see cref="Lanes8"/> (256-bit: AVX2, or pairs of 128-bit operations elsewhere) and
/// <see cref="Lanes16"/> (512-bit: AVX-512). <see cref="Lanes.UseWide"/> says which one the processor runs best.
/// </summary>
internal interface ILaneVector<TSelf> where TSelf : struct, ILaneVector<TSelf>
{
    /// <summary>Lanes per vector.</summary>
    static abstract int Count { get; }

    /// <summary>Whether <see cref="MulAdd"/> rounds once (a fused multiply-add in hardware).</summary>
    static abstract bool MulAddIsFused { get; }

    /// <summary>Every lane set to <paramref name="value"/>.</summary>
    static abstract TSelf Broadcast(float value);

    /// <summary>Lanes from the first <see cref="Count"/> floats of <paramref name="values"/>.</summary>
    static abstract TSelf Load(ReadOnlySpan<float> values);

    /// <summary>Lanes from <c>source[index .. index + Count)</c>, without a bounds check (the caller guarantees them).</summary>
    static abstract TSelf LoadUnchecked(ReadOnlySpan<float> source, int index);

    /// <summary>Writes the lanes to the first <see cref="Count"/> floats of <paramref name="destination"/>.</summary>
    void Store(Span<float> destination);

    /// <summary>Writes the lanes to <c>destination[index .. index + Count)</c> without a bounds check.</summary>
    void StoreUnchecked(Span<float> destination, int index);

    /// <summary>A mask selecting lanes 0 .. <paramref name="count"/> - 1 (all bits set there, zero elsewhere).</summary>
    static abstract TSelf FirstLanes(int count);

    /// <summary>Sum of the lanes, in float.</summary>
    float Sum();

    /// <summary>Largest lane.</summary>
    float MaxLane();

    /// <summary>
    /// (<paramref name="low"/>, <paramref name="high"/>) plus the lower and upper halves of the lanes of
    /// <paramref name="v"/>, widened to double. The double sums are kept in the bits of two vectors of this type
    /// (Count/2 doubles fill one), so sums in double need no second vector type; only this,
    /// <see cref="AddWidenedProduct"/> and <see cref="TotalOfWidened"/> read them. Start from two zero vectors.
    /// (Values in and out rather than refs, so that the JIT keeps the sums in registers.)
    /// </summary>
    static abstract (TSelf Low, TSelf High) AddWidened(TSelf v, TSelf low, TSelf high);

    /// <summary>Like <see cref="AddWidened"/> for the lane products a b, each exact (a product of floats fits in a double).</summary>
    static abstract (TSelf Low, TSelf High) AddWidenedProduct(TSelf a, TSelf b, TSelf low, TSelf high);

    /// <summary>The sum of all double lanes of two <see cref="AddWidened"/> accumulators.</summary>
    static abstract double TotalOfWidened(TSelf low, TSelf high);

    /// <summary>sums[k] += lane k widened to double, for k &lt; <see cref="Count"/>.</summary>
    static abstract void AddWidenedTo(TSelf v, Span<double> sums);

    /// <summary>a b + c, fused where the processor has FMA (see <see cref="MulAddIsFused"/>).</summary>
    static abstract TSelf MulAdd(TSelf a, TSelf b, TSelf c);

    static abstract TSelf Abs(TSelf x);

    static abstract TSelf Sqrt(TSelf x);

    /// <summary>e^x, the runtime's vectorised exp.</summary>
    static abstract TSelf Exp(TSelf x);

    /// <summary>ln x, the runtime's vectorised log.</summary>
    static abstract TSelf Log(TSelf x);

    static abstract TSelf Max(TSelf a, TSelf b);

    static abstract TSelf Min(TSelf a, TSelf b);

    /// <summary>|magnitude| with the sign of <paramref name="sign"/>.</summary>
    static abstract TSelf CopySign(TSelf magnitude, TSelf sign);

    /// <summary>Mask of lanes where a &lt; b.</summary>
    static abstract TSelf LessThan(TSelf a, TSelf b);

    /// <summary>Mask of lanes where a &gt; b.</summary>
    static abstract TSelf GreaterThan(TSelf a, TSelf b);

    /// <summary>Lanes of <paramref name="whereSet"/> where <paramref name="mask"/> is set, of <paramref name="otherwise"/> elsewhere.</summary>
    static abstract TSelf Select(TSelf mask, TSelf whereSet, TSelf otherwise);

    static abstract TSelf operator +(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a, TSelf b);

    static abstract TSelf operator *(TSelf a, TSelf b);

    static abstract TSelf operator /(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a);
}

/// <summary>Which lane vector the CPU kernels use on this processor.</summary>
internal static class Lanes
{
    /// <summary>
    /// Whether 512-bit vectors run in hardware (AVX-512, unless disabled with DOTNET_EnableAVX512=0). A JIT-time
    /// constant, so a branch on it costs nothing.
    /// </summary>
    public static bool UseWide => Vector512.IsHardwareAccelerated;
}

/// <summary>Eight lanes in a <see cref="Vector256{T}"/> (AVX2 registers).</summary>
internal readonly struct Lanes8(Vector256<float> value) : ILaneVector<Lanes8>
{
    private readonly Vector256<float> value = value;

    /// <inheritdoc />
    public static int Count => Vector256<float>.Count;

    /// <inheritdoc />
    public static bool MulAddIsFused => Fma.IsSupported;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 Broadcast(float value) => new(Vector256.Create(value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 Load(ReadOnlySpan<float> values) => new(Vector256.Create(values));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 LoadUnchecked(ReadOnlySpan<float> source, int index) =>
        new(Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(source), (nuint)index));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(Span<float> destination) => value.CopyTo(destination);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void StoreUnchecked(Span<float> destination, int index) =>
        value.StoreUnsafe(ref MemoryMarshal.GetReference(destination), (nuint)index);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 FirstLanes(int count) =>
        new(Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle());

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Sum() => Vector256.Sum(value);

    /// <inheritdoc />
    public float MaxLane()
    {
        var half = Vector128.Max(value.GetLower(), value.GetUpper());
        return Math.Max(Math.Max(half[0], half[1]), Math.Max(half[2], half[3]));
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Lanes8 Low, Lanes8 High) AddWidened(Lanes8 v, Lanes8 low, Lanes8 high)
    {
        var (vLow, vHigh) = Vector256.Widen(v.value);
        return (new((low.value.AsDouble() + vLow).AsSingle()), new((high.value.AsDouble() + vHigh).AsSingle()));
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Lanes8 Low, Lanes8 High) AddWidenedProduct(Lanes8 a, Lanes8 b, Lanes8 low, Lanes8 high)
    {
        var (aLow, aHigh) = Vector256.Widen(a.value);
        var (bLow, bHigh) = Vector256.Widen(b.value);
        return (new((low.value.AsDouble() + aLow * bLow).AsSingle()), new((high.value.AsDouble() + aHigh * bHigh).AsSingle()));
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double TotalOfWidened(Lanes8 low, Lanes8 high) => Vector256.Sum(low.value.AsDouble() + high.value.AsDouble());

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddWidenedTo(Lanes8 v, Span<double> sums)
    {
        var (vLow, vHigh) = Vector256.Widen(v.value);
        var half = sums[..Vector256<double>.Count];
        (Vector256.Create<double>(half) + vLow).CopyTo(half);
        var rest = sums.Slice(Vector256<double>.Count, Vector256<double>.Count);
        (Vector256.Create<double>(rest) + vHigh).CopyTo(rest);
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 MulAdd(Lanes8 a, Lanes8 b, Lanes8 c) =>
        new(Fma.IsSupported ? Fma.MultiplyAdd(a.value, b.value, c.value) : a.value * b.value + c.value);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 Abs(Lanes8 x) => new(Vector256.Abs(x.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 Sqrt(Lanes8 x) => new(Vector256.Sqrt(x.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 Exp(Lanes8 x) => new(Vector256.Exp(x.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 Log(Lanes8 x) => new(Vector256.Log(x.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 Max(Lanes8 a, Lanes8 b) => new(Vector256.Max(a.value, b.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 Min(Lanes8 a, Lanes8 b) => new(Vector256.Min(a.value, b.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 CopySign(Lanes8 magnitude, Lanes8 sign) => new(Vector256.CopySign(magnitude.value, sign.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 LessThan(Lanes8 a, Lanes8 b) => new(Vector256.LessThan(a.value, b.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 GreaterThan(Lanes8 a, Lanes8 b) => new(Vector256.GreaterThan(a.value, b.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 Select(Lanes8 mask, Lanes8 whereSet, Lanes8 otherwise) =>
        new(Vector256.ConditionalSelect(mask.value, whereSet.value, otherwise.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 operator +(Lanes8 a, Lanes8 b) => new(a.value + b.value);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 operator -(Lanes8 a, Lanes8 b) => new(a.value - b.value);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 operator *(Lanes8 a, Lanes8 b) => new(a.value * b.value);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 operator /(Lanes8 a, Lanes8 b) => new(a.value / b.value);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 operator -(Lanes8 a) => new(-a.value);
}

/// <summary>Sixteen lanes in a <see cref="Vector512{T}"/> (AVX-512 registers).</summary>
internal readonly struct Lanes16(Vector512<float> value) : ILaneVector<Lanes16>
{
    private readonly Vector512<float> value = value;

    /// <inheritdoc />
    public static int Count => Vector512<float>.Count;

    /// <inheritdoc />
    public static bool MulAddIsFused => true;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 Broadcast(float value) => new(Vector512.Create(value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 Load(ReadOnlySpan<float> values) => new(Vector512.Create(values));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 LoadUnchecked(ReadOnlySpan<float> source, int index) =>
        new(Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(source), (nuint)index));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(Span<float> destination) => value.CopyTo(destination);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void StoreUnchecked(Span<float> destination, int index) =>
        value.StoreUnsafe(ref MemoryMarshal.GetReference(destination), (nuint)index);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 FirstLanes(int count) =>
        new(Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle());

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Sum() => Vector512.Sum(value);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float MaxLane() => new Lanes8(Vector256.Max(value.GetLower(), value.GetUpper())).MaxLane();

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Lanes16 Low, Lanes16 High) AddWidened(Lanes16 v, Lanes16 low, Lanes16 high)
    {
        var (vLow, vHigh) = Vector512.Widen(v.value);
        return (new((low.value.AsDouble() + vLow).AsSingle()), new((high.value.AsDouble() + vHigh).AsSingle()));
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Lanes16 Low, Lanes16 High) AddWidenedProduct(Lanes16 a, Lanes16 b, Lanes16 low, Lanes16 high)
    {
        var (aLow, aHigh) = Vector512.Widen(a.value);
        var (bLow, bHigh) = Vector512.Widen(b.value);
        return (new((low.value.AsDouble() + aLow * bLow).AsSingle()), new((high.value.AsDouble() + aHigh * bHigh).AsSingle()));
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double TotalOfWidened(Lanes16 low, Lanes16 high) => Vector512.Sum(low.value.AsDouble() + high.value.AsDouble());

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddWidenedTo(Lanes16 v, Span<double> sums)
    {
        var (vLow, vHigh) = Vector512.Widen(v.value);
        var half = sums[..Vector512<double>.Count];
        (Vector512.Create<double>(half) + vLow).CopyTo(half);
        var rest = sums.Slice(Vector512<double>.Count, Vector512<double>.Count);
        (Vector512.Create<double>(rest) + vHigh).CopyTo(rest);
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 MulAdd(Lanes16 a, Lanes16 b, Lanes16 c) => new(Vector512.FusedMultiplyAdd(a.value, b.value, c.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 Abs(Lanes16 x) => new(Vector512.Abs(x.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 Sqrt(Lanes16 x) => new(Vector512.Sqrt(x.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 Exp(Lanes16 x) => new(Vector512.Exp(x.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 Log(Lanes16 x) => new(Vector512.Log(x.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 Max(Lanes16 a, Lanes16 b) => new(Vector512.Max(a.value, b.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 Min(Lanes16 a, Lanes16 b) => new(Vector512.Min(a.value, b.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 CopySign(Lanes16 magnitude, Lanes16 sign) => new(Vector512.CopySign(magnitude.value, sign.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 LessThan(Lanes16 a, Lanes16 b) => new(Vector512.LessThan(a.value, b.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 GreaterThan(Lanes16 a, Lanes16 b) => new(Vector512.GreaterThan(a.value, b.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 Select(Lanes16 mask, Lanes16 whereSet, Lanes16 otherwise) =>
        new(Vector512.ConditionalSelect(mask.value, whereSet.value, otherwise.value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 operator +(Lanes16 a, Lanes16 b) => new(a.value + b.value);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 operator -(Lanes16 a, Lanes16 b) => new(a.value - b.value);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 operator *(Lanes16 a, Lanes16 b) => new(a.value * b.value);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 operator /(Lanes16 a, Lanes16 b) => new(a.value / b.value);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 operator -(Lanes16 a) => new(-a.value);
}
