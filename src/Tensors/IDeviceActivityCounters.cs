namespace BiGS.Native.Tensors;

/// <summary>
/// The work a device backend (the GPU backends) was asked for since it was opened: kernel launches by kernel name,
/// copies between host and device, and memory clears. Counting costs one atomic increment per launch or copy; a
/// benchmark takes a reading before and after a step and reports the <see cref="DeviceActivity.Since"/> difference.
/// </summary>
public interface IDeviceActivityCounters
{
    /// <summary>The counts so far (a copy: later work does not change it); with the device times of the timed launches.</summary>
    DeviceActivity ReadActivity();

    /// <summary>
    /// Whether each kernel launch from now on is also timed on the device (between two profiling markers on the stream)
    /// and <see cref="DeviceActivity.MillisecondsByKernel"/> adds it up: a profiling mode, off by default, since the
    /// markers cost host time per launch and a reading waits for the device. A backend that cannot time ignores it.
    /// </summary>
    bool TimesKernels { get; set; }
}
