namespace BiGS.Native.Tensors;

/// <summary>
/// The work a device backend (the GPU backends) was asked for since it was opened: kernel launches by kernel name,
/// copies between host and device, and memory clears. Counting costs one atomic increment per launch or copy; a
/// benchmark takes a reading before and after a step and reports the <see cref="DeviceActivity.Since"/> difference.
/// </summary>
public interface IDeviceActivityCounters
{
    /// <summary>The counts so far (a copy: later work does not change it).</summary>
    DeviceActivity ReadActivity();
}
