using ILGPU;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>A complex float in a kernel's registers: the arithmetic of the FFT butterflies, stored interleaved (re, im).</summary>
internal readonly struct Complex32(float re, float im)
{
    public float Re { get; } = re;

    public float Im { get; } = im;

    public static Complex32 operator +(Complex32 a, Complex32 b) => new(a.Re + b.Re, a.Im + b.Im);

    public static Complex32 operator -(Complex32 a, Complex32 b) => new(a.Re - b.Re, a.Im - b.Im);

    public static Complex32 operator *(Complex32 a, Complex32 b) => new(a.Re * b.Re - a.Im * b.Im, a.Re * b.Im + a.Im * b.Re);

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
