using BiGS.Native.Tensors;

namespace BiGS.Native.Gpu.Nccl;

/// <summary>
/// NCCL for CUDA devices, which data-parallel training (BiGS.Native's Distributed namespace) finds by name when it
/// runs on a CUDA device: usable when <c>libnccl.so.2</c> and the driver's <c>libcuda.so.1</c> load.
/// </summary>
public sealed class NcclCollectivesProvider : IDeviceCollectivesProvider
{
    private readonly Lazy<(NcclNative? Library, string? Error)> library = new(Load);

    /// <inheritdoc />
    public string? Unavailability(Device device) =>
        device.Kind != DeviceKind.Cuda ? $"NCCL serves CUDA devices and {device} is not one"
        : library.Value.Error ?? (device.Backend is IlgpuBackend ? null : $"{device} is not a BiGS.Native.Gpu device");

    /// <inheritdoc />
    public IDeviceCollectives Join(Device device, int rank, int size, BroadcastFromRank0 broadcastFromRank0)
    {
        if (Unavailability(device) is { } reason) throw new InvalidOperationException(reason);
        return NcclCollectives.Join(library.Value.Library!, (IlgpuBackend)device.Backend, rank, size, broadcastFromRank0);
    }

    private static (NcclNative?, string?) Load()
    {
        try
        {
            return (NcclNative.Load(), null);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return (null, $"{NcclNative.LibraryName} could not be loaded ({e.Message})");
        }
    }
}
