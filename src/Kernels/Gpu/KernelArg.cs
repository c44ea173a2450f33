using System.Runtime.InteropServices;

namespace BiGS.Native.Kernels.Gpu;

/// <summary>
/// One positional kernel argument: a device buffer or a plain value (int, float, or a <see cref="GpuView"/>
/// struct) passed by value. Implicit conversions keep launch sites short.
/// </summary>
public readonly struct KernelArg
{
    private KernelArg(IGpuBuffer? buffer, byte[]? value)
    {
        Buffer = buffer;
        Value = value;
    }

    /// <summary>The buffer, when this argument is one.</summary>
    public IGpuBuffer? Buffer { get; }

    /// <summary>The bytes of a by-value argument (null for buffers).</summary>
    public byte[]? Value { get; }

    /// <summary>A buffer argument.</summary>
    public static implicit operator KernelArg(GpuBufferArg buffer) => new(buffer.Buffer, null);

    /// <summary>An int argument.</summary>
    public static implicit operator KernelArg(int value) => OfValue(value);

    /// <summary>A float argument.</summary>
    public static implicit operator KernelArg(float value) => OfValue(value);

    /// <summary>A view struct argument.</summary>
    public static implicit operator KernelArg(GpuView value) => OfValue(value);

    /// <summary>A buffer argument (explicit form of the implicit conversion).</summary>
    public static KernelArg Of(IGpuBuffer buffer) => new(buffer, null);

    private static KernelArg OfValue<T>(T value) where T : unmanaged =>
        new(null, MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)).ToArray());
}

/// <summary>Wraps a buffer so it converts implicitly to a <see cref="KernelArg"/> (interfaces cannot).</summary>
/// <param name="Buffer">The device buffer.</param>
public readonly record struct GpuBufferArg(IGpuBuffer Buffer);
