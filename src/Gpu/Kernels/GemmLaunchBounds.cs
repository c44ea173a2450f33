using System.Reflection;
using ILGPU.Runtime;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// Launch bounds of the GEMM kernels (ILGPU's <see cref="KernelSpecialization"/>, which becomes PTX's <c>.maxntid</c>
/// and <c>.minnctapersm</c>): groups of the kernel's own thread count, and as many groups per multiprocessor as its
/// 65,536 registers hold at <see cref="MaxRegisters"/> a thread, 65536 / (128 t) groups of t threads (two groups of a
/// 256-thread tile), so that the assembler keeps every thread at 128 registers or fewer. Unbounded, the assembler
/// decides the occupancy: ptxas 11.8 gave the SIMT 128 x 128 kernel 129 registers, one group a multiprocessor, where
/// bounded it takes 127 with no spill (bench/compare/README.md, entry 26); and a GPU's driver assembles the PTX with its
/// own ptxas, whose choices can differ again.
/// </summary>
public static class GemmLaunchBounds
{
    /// <summary>Registers a thread of a GEMM kernel may use.</summary>
    public const int MaxRegisters = 128;

    private const int RegistersPerMultiprocessor = 65536;

    /// <summary>The bounds of a GEMM kernel of <paramref name="threads"/> threads a group.</summary>
    public static KernelSpecialization For(int threads) => new(threads, RegistersPerMultiprocessor / (MaxRegisters * threads));

    /// <summary>
    /// The bounds of <paramref name="kernel"/>: those of its tile (its first type argument, a SIMT
    /// <see cref="IGemmTile"/> or a tensor-core <see cref="ITensorCoreTile"/>) for the GEMM kernels, the pipelined
    /// tensor-core kernel's own for its tile (<see cref="Pipeline"/>), none for the others.
    /// </summary>
    public static KernelSpecialization Of(MethodInfo kernel) =>
        !kernel.IsGenericMethod ? KernelSpecialization.Empty
        : kernel.DeclaringType == typeof(GemmTensorCorePipelineKernel) ? Pipeline((IGemmTile)Activator.CreateInstance(kernel.GetGenericArguments()[0])!)
        : ThreadsOf(kernel.GetGenericArguments()[0]) is int threads ? For(threads) : KernelSpecialization.Empty;

    /// <summary>
    /// The bounds of <see cref="GemmTensorCorePipelineKernel"/> at <paramref name="tile"/>: its groups, as many a
    /// multiprocessor as leave each thread 256 registers (its 128 accumulators and 32 fragment registers need more than
    /// <see cref="MaxRegisters"/>): two groups of 4 warps, four of 2, eight of one.
    /// </summary>
    private static KernelSpecialization Pipeline(IGemmTile tile)
    {
        int threads = GemmTensorCorePipelineKernel.Threads(tile.Rows(), tile.Columns());
        return new(threads, RegistersPerMultiprocessor / (2 * MaxRegisters * threads));
    }

    /// <summary>The threads of a group of tile <paramref name="type"/> (a struct, as every tile is), or null for other types.</summary>
    private static int? ThreadsOf(Type type) => (type.IsValueType ? Activator.CreateInstance(type) : null) switch
    {
        IGemmTile simt => simt.ThreadRows * simt.ThreadColumns,
        ITensorCoreTile tensorCores => GemmTensorCoreKernel.Threads(tensorCores),
        _ => null,
    };
}
