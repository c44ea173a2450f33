namespace BiGS.Native.Tensors;

/// <summary>
/// The memory counters of a backend that allocates device memory from its own pool (the GPU backends), for benchmarks
/// to report beside the host's resident memory.
/// </summary>
public interface IDeviceMemoryCounters
{
    /// <summary>The most bytes tensors and kernel workspaces held at once since the device was opened.</summary>
    long PeakInUseBytes { get; }

    /// <summary>The most bytes allocated from the device at once (in use plus cached by the pool) since it was opened.</summary>
    long PeakReservedBytes { get; }
}
