using BiGS.Native.Kernels.Gpu.Cuda;

namespace BiGS.Native.Tensors.Backends.Gpu;

/// <summary>The GPU backend on an NVIDIA device through the CUDA driver API and the checked-in PTX.</summary>
public sealed class CudaBackend : GpuBackend
{
    /// <summary>Opens CUDA device <paramref name="index"/> and loads the kernels.</summary>
    public CudaBackend(int index) : base(DeviceKind.Cuda, index, CudaDevice.Open(index)) { }

    /// <inheritdoc />
    public override string Name => "cuda";
}
