using BiGS.Native.Kernels.Gpu.OpenCL;

namespace BiGS.Native.Tensors.Backends.Gpu;

/// <summary>The GPU backend on an OpenCL device (a GPU, or the CPU through PoCL).</summary>
public sealed class OpenClBackend : GpuBackend
{
    /// <summary>Opens OpenCL device <paramref name="index"/> (numbered across platforms) and builds the kernels.</summary>
    public OpenClBackend(int index) : base(DeviceKind.OpenCL, index, OpenClDevice.Open(index)) { }

    /// <inheritdoc />
    public override string Name => "opencl";
}
