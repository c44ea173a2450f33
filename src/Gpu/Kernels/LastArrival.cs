using ILGPU;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// Completing a result in the launch that computes its parts, deterministically: each group writes its part to global
/// memory and counts itself in the result's arrival counter; the group that counts last reads every part, combines them
/// in a fixed order (so the result does not depend on which group finished first) and resets the counter to 0 for the
/// next launch. Used by the column sums (<see cref="ColumnTileKernels"/>) and the split-k GEMM (<see cref="GemmSplitK"/>).
/// </summary>
internal static class LastArrival
{
    /// <summary>
    /// Whether this group is the last of <paramref name="expected"/> to count itself in <paramref name="arrivals"/>[<paramref name="counter"/>]:
    /// the parts it wrote are fenced (visible to the group that reads them), then its first thread counts it in; every
    /// thread of the group gets the same answer, from a barrier that ors the first thread's (<c>bar.red.or</c>: no shared
    /// memory, which <see cref="GemmTensorCorePipelineKernel"/>'s stages fill).
    /// </summary>
    public static bool ArrivesLast(ArrayView<int> arrivals, long counter, int expected)
    {
        MemoryFence.DeviceLevel();
        Group.Barrier();
        bool last = Group.BarrierOr(Group.IsFirstThread && Atomic.Add(ref arrivals[counter], 1) == expected - 1);
        MemoryFence.DeviceLevel();
        return last;
    }

    /// <summary>Sets the counter back to 0 for the next launch (by the last group, once it has read every part).</summary>
    public static void Reset(ArrayView<int> arrivals, long counter)
    {
        if (Group.IsFirstThread) arrivals[counter] = 0;
    }

    /// <summary>
    /// x[i] as the device holds it now, by an atomic add of 0 to its bits: other groups wrote it during this launch, and a
    /// plain load could be served from a stale copy in this multiprocessor's L1 cache, which is not coherent with the
    /// others' stores (the reason the CUDA guide's last-block reduction reads its partials through a volatile pointer).
    /// An integer add, not a float one: ILGPU's CPU accelerator adds floats in a compare-and-swap loop that never ends
    /// on a NaN (NaN != NaN), and a NaN must reach the sum, not hang the launch.
    /// </summary>
    public static float ReadCoherent(ArrayView<float> x, long i) => Interop.IntAsFloat((uint)Atomic.Add(ref x.Cast<int>()[i], 0));
}
