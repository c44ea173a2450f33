namespace BiGS.Native.Tensors;

/// <summary>
/// Device selection by name: "cpu", "cuda[:N]", "opencl[:N]", "ilgpu-cpu" or "ilgpu-dry" (case-insensitive), including
/// from the BIGS_DEVICE environment variable. The CPU is built in; the GPU devices come from the BiGS.Native.Gpu
/// assembly (ILGPU), which is looked up by name the first time a GPU device is asked for, so a CPU-only application
/// needs neither it nor ILGPU.
/// </summary>
public static class Devices
{
    /// <summary>The environment variable naming the default device.</summary>
    public const string EnvironmentVariable = "BIGS_DEVICE";

    /// <summary>The forms a device name may take, for error messages and help texts.</summary>
    public const string NameForms = "cpu, cuda[:N], opencl[:N], ilgpu-cpu or ilgpu-dry";

    private const string ProviderType = "BiGS.Native.Gpu.IlgpuDevices, BiGS.Native.Gpu";

    private static readonly Lazy<IGpuDeviceProvider?> Provider = new(FindProvider);

    /// <summary>CUDA device <paramref name="index"/>.</summary>
    public static Device Cuda(int index = 0) => Open(DeviceKind.Cuda, index);

    /// <summary>OpenCL 2.0+ device <paramref name="index"/> (numbered across all platforms).</summary>
    public static Device OpenCL(int index = 0) => Open(DeviceKind.OpenCL, index);

    /// <summary>ILGPU's CPU accelerator: every GPU kernel, run on host threads (slow; for tests and debugging).</summary>
    public static Device IlgpuCpu() => Open(DeviceKind.IlgpuCpu, 0);

    /// <summary>
    /// ILGPU's CPU accelerator with every kernel launch and memory clear counted and skipped
    /// (<see cref="DeviceKind.IlgpuDry"/>): what a computation allocates and launches on a device, without computing it.
    /// </summary>
    public static Device IlgpuDry() => Open(DeviceKind.IlgpuDry, 0);

    /// <summary>Parses a device name of one of the <see cref="NameForms"/> and opens that device.</summary>
    public static Device FromName(string name)
    {
        var (kind, index) = Parse(name) ?? throw new ArgumentException($"device '{name}' is not of the form {NameForms}", nameof(name));
        return kind == DeviceKind.Cpu ? Device.Cpu : Open(kind, index);
    }

    /// <summary>True when <paramref name="name"/> has one of the <see cref="NameForms"/> (without opening anything).</summary>
    public static bool IsValidName(string name) => Parse(name) is not null;

    /// <summary>
    /// Null when a device of <paramref name="kind"/> can be opened here, otherwise why not (no GPU package, no driver,
    /// no such device). Opens nothing.
    /// </summary>
    public static string? Unavailability(DeviceKind kind) =>
        kind == DeviceKind.Cpu ? null : Provider.Value is { } provider ? provider.Unavailability(kind) : MissingPackage();

    /// <summary>The device named by BIGS_DEVICE, or the CPU when it is unset or empty.</summary>
    public static Device FromEnvironment()
    {
        string? name = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(name) ? Device.Cpu : FromName(name);
    }

    private static (DeviceKind Kind, int Index)? Parse(string name)
    {
        var parts = name.Trim().ToLowerInvariant().Split(':');
        int index = 0;
        if (parts.Length > 2 || (parts.Length == 2 && !int.TryParse(parts[1], out index)) || index < 0) return null;
        bool indexed = parts.Length == 2;
        return parts[0] switch
        {
            "cpu" when !indexed => (DeviceKind.Cpu, 0),
            "ilgpu-cpu" when !indexed => (DeviceKind.IlgpuCpu, 0),
            "ilgpu-dry" when !indexed => (DeviceKind.IlgpuDry, 0),
            "opencl" => (DeviceKind.OpenCL, index),
            "cuda" => (DeviceKind.Cuda, index),
            _ => null,
        };
    }

    private static Device Open(DeviceKind kind, int index) =>
        (Provider.Value ?? throw new InvalidOperationException(MissingPackage())).Open(kind, index);

    private static string MissingPackage() =>
        "GPU devices need the BiGS.Native.Gpu package (ILGPU); add it to the application to use cuda, opencl, ilgpu-cpu or ilgpu-dry";

    private static IGpuDeviceProvider? FindProvider() => GpuLayer.Create<IGpuDeviceProvider>(ProviderType);
}

/// <summary>Opens GPU devices; implemented by the BiGS.Native.Gpu assembly, which <see cref="Devices"/> finds by name.</summary>
public interface IGpuDeviceProvider
{
    /// <summary>Opens (once per process; later calls return the same device) the device of this kind and index.</summary>
    Device Open(DeviceKind kind, int index);

    /// <summary>Null when a device of <paramref name="kind"/> exists here, otherwise why not.</summary>
    string? Unavailability(DeviceKind kind);
}
