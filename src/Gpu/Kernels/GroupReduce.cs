using ILGPU;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// Sums and maxima over a group, returned to every thread, by a tree in shared memory (log2(group) barrier steps).
/// The group size must be a power of two no larger than <see cref="MaxGroup"/>; any such size works, including
/// the small groups the CPU accelerator runs fastest, so one kernel serves every accelerator.
/// </summary>
public static class GroupReduce
{
    /// <summary>The largest group a reduction supports (the size of its shared scratch).</summary>
    public const int MaxGroup = 256;

    /// <summary>Sum of <paramref name="value"/> over the group.</summary>
    public static float Sum(float value) => Combine<float, FloatSum>(value);

    /// <summary>Maximum of <paramref name="value"/> over the group.</summary>
    public static float Max(float value) => Combine<float, FloatMax>(value);

    /// <summary>Sum of a double <paramref name="value"/> over the group.</summary>
    public static double Sum(double value) => Combine<double, DoubleSum>(value);

    /// <summary>scratch[lane] = op(scratch[lane], scratch[lane + step]) for step = group/2 .. 1; every thread reads scratch[0].</summary>
    private static T Combine<T, TOperation>(T value) where T : unmanaged where TOperation : struct, ICombine<T>
    {
        var scratch = SharedMemory.Allocate<T>(MaxGroup);
        int lane = Group.IdxX;
        scratch[lane] = value;
        Group.Barrier();
        for (int step = Group.DimX / 2; step > 0; step /= 2)
        {
            if (lane < step) scratch[lane] = default(TOperation).Apply(scratch[lane], scratch[lane + step]);
            Group.Barrier();
        }
        T total = scratch[0];
        Group.Barrier();
        return total;
    }

    private interface ICombine<T>
    {
        T Apply(T a, T b);
    }

    private readonly struct FloatSum : ICombine<float> { public float Apply(float a, float b) => a + b; }

    private readonly struct FloatMax : ICombine<float> { public float Apply(float a, float b) => a > b ? a : b; }

    private readonly struct DoubleSum : ICombine<double> { public double Apply(double a, double b) => a + b; }
}
