namespace BiGS.Native.Kernels.Cpu;

/// <summary>
/// The arithmetic of a matrix product's multiplications. Accumulation is always in fp32; tf32 and bf16 round the
/// operands first (and on CUDA devices of compute capability 8.0 or more run on tensor cores).
/// </summary>
public enum Precision
{
    /// <summary>Exact fp32 products (the default; never silently TF32).</summary>
    Fp32,

    /// <summary>Operands rounded to TF32 (10 explicit mantissa bits, to nearest, ties away from zero, as <c>cvt.rna.tf32.f32</c>).</summary>
    Tf32,

    /// <summary>Operands rounded to bfloat16 (7 explicit mantissa bits, to nearest, ties to even, as <c>cvt.rn.bf16x2.f32</c>).</summary>
    Bf16,
}

/// <summary>
/// Rounding of GEMM operands to the precision of the multiplications, bit for bit as the tensor cores' conversions
/// (so a SIMT kernel or the CPU that rounds its operands this way computes the same products as the tensor cores, up
/// to the order of the fp32 accumulation). Written with <see cref="BitConverter"/> so ILGPU kernels can call it.
/// </summary>
public static class GemmRounding
{
    /// <summary><paramref name="x"/> rounded to <paramref name="precision"/> (unchanged for fp32, infinities and NaN).</summary>
    public static float Round(float x, Precision precision) =>
        precision == Precision.Tf32 ? ToTf32(x) : precision == Precision.Bf16 ? ToBf16(x) : x;

    /// <summary>
    /// To TF32, to nearest with ties away from zero (<c>cvt.rna.tf32.f32</c>): add half of the last kept mantissa bit
    /// (bit 13) to the magnitude, then clear the 13 dropped bits.
    /// </summary>
    public static float ToTf32(float x)
    {
        if (!IsFinite(x)) return x;
        return BitConverter.Int32BitsToSingle((BitConverter.SingleToInt32Bits(x) + 0x1000) & ~0x1FFF);
    }

    /// <summary>
    /// To bfloat16, to nearest with ties to even (<c>cvt.rn.bf16x2.f32</c>): add 0x7FFF plus the lowest kept bit, then
    /// clear the 16 dropped bits.
    /// </summary>
    public static float ToBf16(float x)
    {
        if (!IsFinite(x)) return x;
        int bits = BitConverter.SingleToInt32Bits(x);
        return BitConverter.Int32BitsToSingle((bits + 0x7FFF + ((bits >> 16) & 1)) & unchecked((int)0xFFFF0000));
    }

    /// <summary>
    /// Neither infinite nor NaN, as one float comparison (NaN compares false), which a GPU does in one instruction where
    /// testing the exponent's bits takes two.
    /// </summary>
    private static bool IsFinite(float x) => Math.Abs(x) < float.PositiveInfinity;

    /// <summary>Rounds every element of <paramref name="values"/> to <paramref name="precision"/> in place.</summary>
    public static void RoundInPlace(Span<float> values, Precision precision)
    {
        if (precision == Precision.Fp32) return;
        for (int i = 0; i < values.Length; i++) values[i] = Round(values[i], precision);
    }
}
