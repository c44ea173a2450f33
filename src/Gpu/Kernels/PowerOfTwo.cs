using ILGPU;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// Index arithmetic with powers of two: i / 2^b = i &gt;&gt; b and i % 2^b = i &amp; (2^b - 1) for i &gt;= 0. ILGPU emits an
/// integer division even for a constant divisor, and a GPU divides integers in a few dozen instructions.
/// </summary>
internal static class PowerOfTwo
{
    /// <summary>log2 of a power of two.</summary>
    public static int Log2(int powerOfTwo) => IntrinsicMath.BitOperations.TrailingZeroCount(powerOfTwo);
}
