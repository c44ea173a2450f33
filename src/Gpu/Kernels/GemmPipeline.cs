using ILGPU;
using ILGPU.Runtime.Cuda;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// The k loop of the pipelined GEMM kernels (<see cref="GemmTensorCorePipelineKernel"/>, <see cref="GemmSimtPipelineKernel"/>):
/// <see cref="Stages"/> buffers of shared memory, filled by asynchronous copies, one stage multiplied while the next two
/// are in flight.
/// </summary>
internal static class GemmPipeline
{
    /// <summary>Stages in shared memory: one multiplied while two are in flight.</summary>
    public const int Stages = 3;

    /// <summary>Bytes of the stages, all the static shared memory a group may have.</summary>
    public const int SharedBytes = 49152;

    /// <summary>
    /// Multiplies <paramref name="stages"/> stages (counted from the group's first k) through the buffers: stages 0 to
    /// <see cref="Stages"/> - 2 are copied first, then each stage waits for its own copies, and after a barrier (every
    /// thread's copies landed, no warp still reads the buffer about to be overwritten) starts the copies of the stage
    /// <see cref="Stages"/> - 1 on and multiplies. A group of copies is committed per stage, empty or not, so that the
    /// count of groups in flight is the count of stages.
    /// </summary>
    public static void Run<TStages>(ref TStages pipeline, int stages) where TStages : struct, IPipelinedStages
    {
        for (int ahead = 0; ahead < Stages - 1; ahead++)
        {
            if (ahead < stages) pipeline.Copy(ahead, ahead);
            pipeline.Commit();
        }
        for (int stage = 0, read = 0, write = Stages - 1; stage < stages; stage++)
        {
            pipeline.WaitForOldestStage();
            Group.Barrier();
            if (stage + Stages - 1 < stages) pipeline.Copy(stage + Stages - 1, write);
            pipeline.Commit();
            pipeline.Multiply(read);
            (read, write) = (Next(read), Next(write));
        }
    }

    /// <summary>The buffer after <paramref name="buffer"/>, cyclically (not by a remainder, which ptxas makes a division).</summary>
    private static int Next(int buffer) => buffer == Stages - 1 ? 0 : buffer + 1;
}

/// <summary>A pipelined kernel's copies and arithmetic, as <see cref="GemmPipeline.Run"/> drives them.</summary>
internal interface IPipelinedStages
{
    /// <summary>Starts this thread's copies of stage <paramref name="stage"/> into buffer <paramref name="buffer"/>.</summary>
    void Copy(int stage, int buffer);

    /// <summary>Closes the copies started since the last commit into one group.</summary>
    void Commit();

    /// <summary>Waits until at most the newest <see cref="GemmPipeline.Stages"/> - 2 groups of this thread's copies are in flight.</summary>
    void WaitForOldestStage();

    /// <summary>The thread's arithmetic on the stage in buffer <paramref name="buffer"/>.</summary>
    void Multiply(int buffer);
}

/// <summary>
/// The stages in PTX: <c>gemm_stages</c>, a <c>.shared</c> array the PTX declares. ILGPU cannot give inline PTX the address
/// of an element of its own views (in a kernel, <c>LoadEffectiveAddress</c> is unsupported, <c>Unsafe.AsPointer</c> is an
/// unsupported intrinsic, and a pinned pointer converted to an integer fails in its front end), so ILGPU never reads or
/// writes this array: the copies (<c>cp.async</c>, completed by <c>cp.async.wait_group</c> and ordered by the barriers)
/// fill it and the kernels' own PTX loads read it, from the operands' device addresses given by the host
/// (<see cref="GemmShape.AddressA"/>).
/// </summary>
internal static class PtxStages
{
    /// <summary>
    /// Declares the stages (once, every thread) and returns their shared address: the smallest array of 24, 36 or 48 KB
    /// that holds <paramref name="bytes"/> (a constant of each kernel), so that groups of a smaller tile leave room for
    /// more groups a multiprocessor.
    /// </summary>
    public static uint Declare(int bytes)
    {
        if (bytes <= 24576) CudaAsm.Emit(".shared .align 16 .b8 gemm_stages[24576];");
        else if (bytes <= 36864) CudaAsm.Emit(".shared .align 16 .b8 gemm_stages[36864];");
        else CudaAsm.Emit(".shared .align 16 .b8 gemm_stages[49152];");   // GemmPipeline.SharedBytes
        CudaAsm.Emit("mov.u32 %0, gemm_stages;", out uint address);
        return address;
    }

    /// <summary>Starts copying 16 bytes from <paramref name="global"/> to <paramref name="shared"/>, of which <paramref name="sourceBytes"/> (16 or 0) are read and the rest zero-filled.</summary>
    public static void Copy(uint shared, ulong global, uint sourceBytes) =>
        CudaAsm.Emit("cp.async.cg.shared.global [%0], [%1], 16, %2;", shared, global, sourceBytes);

    /// <summary>Starts copying 16 bytes from <paramref name="global"/> to <paramref name="shared"/>.</summary>
    public static void Copy(uint shared, ulong global) => CudaAsm.Emit("cp.async.cg.shared.global [%0], [%1], 16;", shared, global);

    /// <inheritdoc cref="IPipelinedStages.Commit"/>
    public static void Commit() => CudaAsm.Emit("cp.async.commit_group;");

    /// <inheritdoc cref="IPipelinedStages.WaitForOldestStage"/>
    public static void WaitForOldestStage() => CudaAsm.Emit("cp.async.wait_group 1;");   // GemmPipeline.Stages - 2
}

/// <summary>
/// The pipelined kernels' copies emulated on ILGPU's CPU accelerator, where a buffer's device address is the host address
/// of its element 0: each copy reads the vector its device address names, so that the addresses the PTX copies from on a
/// GPU are the ones the emulation's results check.
/// </summary>
internal static class EmulatedCopies
{
    /// <summary>The vector at device address <paramref name="address"/> of <paramref name="vectors"/>, whose vector 0 is at <paramref name="operand"/>.</summary>
    public static Float4 Read(ArrayView<Float4> vectors, ulong operand, ulong address) => vectors[(long)((address - operand) / 16)];
}
