using ILGPU;
using ILGPU.Algorithms;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>A complex float in a kernel's registers: the arithmetic of the FFT butterflies, stored interleaved (re, im).</summary>
internal readonly struct Complex32(float re, float im)
{
    public float Re { get; } = re;

    public float Im { get; } = im;

    public static Complex32 operator +(Complex32 a, Complex32 b) => new(a.Re + b.Re, a.Im + b.Im);

    public static Complex32 operator -(Complex32 a, Complex32 b) => new(a.Re - b.Re, a.Im - b.Im);

    public static Complex32 operator *(Complex32 a, Complex32 b) => new(a.Re * b.Re - a.Im * b.Im, a.Re * b.Im + a.Im * b.Re);

    /// <summary>exp(direction 2 pi i turns) for a fraction of a turn (direction -1 or +1).</summary>
    public static Complex32 Turn(float turns, float direction)
    {
        float angle = 6.2831855f * turns;
        return new(XMath.Cos(angle), direction * XMath.Sin(angle));
    }

    /// <summary>direction i z: a quarter turn, clockwise for direction -1.</summary>
    public Complex32 QuarterTurn(float direction) => new(-direction * Im, direction * Re);

    /// <summary>The value at interleaved index <paramref name="at"/> (re at at, im at at + 1).</summary>
    public static Complex32 Load(ArrayView<float> x, long at) => new(x[at], x[at + 1]);

    /// <summary>Writes the value at interleaved index <paramref name="at"/>.</summary>
    public void Store(ArrayView<float> y, long at)
    {
        y[at] = Re;
        y[at + 1] = Im;
    }
}
