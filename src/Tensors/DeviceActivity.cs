namespace BiGS.Native.Tensors;

/// <summary>A reading of a device backend's <see cref="IDeviceActivityCounters"/>, or the difference of two readings.</summary>
/// <param name="LaunchesByKernel">Kernel launches by readable kernel name (for example "Gemm.Simt", "LayerNorm", "AdamW").</param>
/// <param name="DeviceToHostCopies">Reads of device memory by the host (each waits for the work queued before it).</param>
/// <param name="HostToDeviceCopies">Writes of host data into device memory.</param>
/// <param name="MemoryClears">Device buffers set to zero by the driver (zero-initialised allocations).</param>
public sealed record DeviceActivity(IReadOnlyDictionary<string, long> LaunchesByKernel, long DeviceToHostCopies, long HostToDeviceCopies, long MemoryClears)
{
    /// <summary>
    /// Device milliseconds of the launches timed while <see cref="IDeviceActivityCounters.TimesKernels"/> was on, by
    /// kernel name (empty when none was timed).
    /// </summary>
    public IReadOnlyDictionary<string, double> MillisecondsByKernel { get; init; } = new Dictionary<string, double>();

    /// <summary>All kernel launches.</summary>
    public long Launches => LaunchesByKernel.Values.Sum();

    /// <summary>What happened between <paramref name="earlier"/> and this reading (kernels not launched in between left out).</summary>
    public DeviceActivity Since(DeviceActivity earlier) => new(
        LaunchesByKernel
            .Select(pair => (pair.Key, Count: pair.Value - earlier.LaunchesByKernel.GetValueOrDefault(pair.Key)))
            .Where(pair => pair.Count != 0)
            .ToDictionary(pair => pair.Key, pair => pair.Count),
        DeviceToHostCopies - earlier.DeviceToHostCopies,
        HostToDeviceCopies - earlier.HostToDeviceCopies,
        MemoryClears - earlier.MemoryClears)
    {
        MillisecondsByKernel = MillisecondsByKernel
            .Select(pair => (pair.Key, Milliseconds: pair.Value - earlier.MillisecondsByKernel.GetValueOrDefault(pair.Key)))
            .Where(pair => pair.Milliseconds > 0)
            .ToDictionary(pair => pair.Key, pair => pair.Milliseconds),
    };

    /// <summary>The device milliseconds of all timed launches.</summary>
    public double TimedMilliseconds => MillisecondsByKernel.Values.Sum();

    /// <summary>The kernel names and their launch counts, most launched first (ties by name).</summary>
    public IEnumerable<KeyValuePair<string, long>> KernelsByCount() =>
        LaunchesByKernel.OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key, StringComparer.Ordinal);
}
