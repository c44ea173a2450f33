using System.Runtime.InteropServices;

namespace BiGS.Native.Kernels.Cpu;

/// <summary>
/// Per-thread scratch memory for <see cref="Gemm"/>: one packed block of A (MC x KC) and one
/// packed panel of B (KC x NC), 64-byte aligned so packed micro-panels start on cache lines.
/// Allocated once per thread on first use and reused by every later call on that thread;
/// the native memory is released by the finalizer when the thread (and so this object) goes away.
/// </summary>
internal sealed unsafe class GemmPackBuffers
{
    private const nuint CacheLineBytes = 64;

    [ThreadStatic]
    private static GemmPackBuffers? current;

    /// <summary>Packed A block: MC x KC floats, as micro-panels of the kernel's tile rows.</summary>
    public float* PackedA { get; }

    /// <summary>Packed B panel: KC x NC floats, as micro-panels of the kernel's tile columns.</summary>
    public float* PackedB { get; }

    /// <summary>Scratch tile (room for any micro-kernel's) for edge tiles that do not fit the matrix C.</summary>
    public float* EdgeTile { get; }

    private GemmPackBuffers()
    {
        PackedA = Allocate(GemmBlocking.PackedABlockFloats);
        PackedB = Allocate(GemmBlocking.PackedBPanelFloats);
        EdgeTile = Allocate(GemmMicroKernel.MaxTileFloats);
    }

    /// <summary>The calling thread's buffers, created on first use.</summary>
    public static GemmPackBuffers ForCurrentThread() => current ??= new GemmPackBuffers();

    private static float* Allocate(int floats) =>
        (float*)NativeMemory.AlignedAlloc((nuint)floats * sizeof(float), CacheLineBytes);

    ~GemmPackBuffers()
    {
        NativeMemory.AlignedFree(PackedA);
        NativeMemory.AlignedFree(PackedB);
        NativeMemory.AlignedFree(EdgeTile);
    }
}
