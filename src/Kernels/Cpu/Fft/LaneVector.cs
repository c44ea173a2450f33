using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace BiGS.Native.Kernels.Cpu.Fft;

/// <summary>
/// A SIMD vector of floats seen as the lanes of a <see cref="LaneFft{TLanes}"/>, one signal per lane: the lane FFT,
/// its signals and the SSM convolution are written once against this interface and specialised by the JIT for
/// <see cref="Lanes8"/> (256-bit, AVX2) and <see cref="Lanes16"/> (512-bit, AVX-512). <see cref="Lanes.UseWide"/>
/// says which one the processor runs best.
/// </summary>
internal interface ILaneVector<TSelf> where TSelf : struct, ILaneVector<TSelf>
{
    /// <summary>Lanes (signals) per vector.</summary>
    static abstract int Count { get; }

    /// <summary>Every lane set to <paramref name="value"/>.</summary>
    static abstract TSelf Broadcast(float value);

    /// <summary>Lanes from the first <see cref="Count"/> floats of <paramref name="values"/>.</summary>
    static abstract TSelf Load(ReadOnlySpan<float> values);

    /// <summary>Writes the lanes to the first <see cref="Count"/> floats of <paramref name="destination"/>.</summary>
    void Store(Span<float> destination);

    float Sum();

    /// <summary>sum over samples j and lanes c of x[j][c] y[j][c], with products and sums in double.</summary>
    static abstract double WideDot(ReadOnlySpan<TSelf> x, ReadOnlySpan<TSelf> y);

    static abstract TSelf operator +(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a, TSelf b);

    static abstract TSelf operator *(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a);
}

/// <summary>Which lane vector the SSM convolution uses on this processor.</summary>
internal static class Lanes
{
    /// <summary>Whether 512-bit vectors run in hardware (AVX-512, unless disabled with DOTNET_EnableAVX512=0).</summary>
    public static bool UseWide => Vector512.IsHardwareAccelerated;
}

/// <summary>Eight lanes in a <see cref="Vector256{T}"/> (AVX2 registers).</summary>
internal readonly struct Lanes8(Vector256<float> value) : ILaneVector<Lanes8>
{
    private readonly Vector256<float> value = value;

    /// <inheritdoc />
    public static int Count => Vector256<float>.Count;

    /// <inheritdoc />
    public static Lanes8 Broadcast(float value) => new(Vector256.Create(value));

    /// <inheritdoc />
    public static Lanes8 Load(ReadOnlySpan<float> values) => new(Vector256.Create(values));

    /// <inheritdoc />
    public void Store(Span<float> destination) => value.CopyTo(destination);

    /// <inheritdoc />
    public float Sum() => Vector256.Sum(value);

    /// <inheritdoc />
    public static double WideDot(ReadOnlySpan<Lanes8> x, ReadOnlySpan<Lanes8> y)
    {
        var sum = Vector256<double>.Zero;
        for (int j = 0; j < x.Length; j++)
        {
            // A float product is exact in double, so only the sums round.
            var (xLow, xHigh) = Vector256.Widen(x[j].value);
            var (yLow, yHigh) = Vector256.Widen(y[j].value);
            sum += xLow * yLow + xHigh * yHigh;
        }
        return Vector256.Sum(sum);
    }

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
    public static Lanes8 operator -(Lanes8 a) => new(-a.value);
}

/// <summary>Sixteen lanes in a <see cref="Vector512{T}"/> (AVX-512 registers).</summary>
internal readonly struct Lanes16(Vector512<float> value) : ILaneVector<Lanes16>
{
    private readonly Vector512<float> value = value;

    /// <inheritdoc />
    public static int Count => Vector512<float>.Count;

    /// <inheritdoc />
    public static Lanes16 Broadcast(float value) => new(Vector512.Create(value));

    /// <inheritdoc />
    public static Lanes16 Load(ReadOnlySpan<float> values) => new(Vector512.Create(values));

    /// <inheritdoc />
    public void Store(Span<float> destination) => value.CopyTo(destination);

    /// <inheritdoc />
    public float Sum() => Vector512.Sum(value);

    /// <inheritdoc />
    public static double WideDot(ReadOnlySpan<Lanes16> x, ReadOnlySpan<Lanes16> y)
    {
        var sum = Vector512<double>.Zero;
        for (int j = 0; j < x.Length; j++)
        {
            // A float product is exact in double, so only the sums round.
            var (xLow, xHigh) = Vector512.Widen(x[j].value);
            var (yLow, yHigh) = Vector512.Widen(y[j].value);
            sum += xLow * yLow + xHigh * yHigh;
        }
        return Vector512.Sum(sum);
    }

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
    public static Lanes16 operator -(Lanes16 a) => new(-a.value);
}
