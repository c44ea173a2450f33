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
    public static float Sum(float value)
    {
        var scratch = SharedMemory.Allocate<float>(MaxGroup);
        int lane = Group.IdxX;
        scratch[lane] = value;
        Group.Barrier();
        for (int step = Group.DimX / 2; step > 0; step /= 2)
        {
            if (lane < step) scratch[lane] += scratch[lane + step];
            Group.Barrier();
        }
        float total = scratch[0];
        Group.Barrier();
        return total;
    }

    /// <summary>Maximum of <paramref name="value"/> over the group.</summary>
    public static float Max(float value)
    {
        var scratch = SharedMemory.Allocate<float>(MaxGroup);
        int lane = Group.IdxX;
        scratch[lane] = value;
        Group.Barrier();
        for (int step = Group.DimX / 2; step > 0; step /= 2)
        {
            if (lane < step && scratch[lane + step] > scratch[lane]) scratch[lane] = scratch[lane + step];
            Group.Barrier();
        }
        float best = scratch[0];
        Group.Barrier();
        return best;
    }

    /// <summary>Sum of a double <paramref name="value"/> over the group.</summary>
    public static double Sum(double value)
    {
        var scratch = SharedMemory.Allocate<double>(MaxGroup);
        int lane = Group.IdxX;
        scratch[lane] = value;
        Group.Barrier();
        for (int step = Group.DimX / 2; step > 0; step /= 2)
        {
            if (lane < step) scratch[lane] += scratch[lane + step];
            Group.Barrier();
        }
        double total = scratch[0];
        Group.Barrier();
        return total;
    }
}
