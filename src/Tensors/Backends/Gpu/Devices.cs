using BiGS.Native.Tensors.Backends.Gpu;

namespace BiGS.Native.Tensors;

/// <summary>
/// Device selection: <c>Devices.OpenCL(0)</c>, <c>Devices.Cuda(0)</c>, or by name ("cpu", "opencl", "opencl:1",
/// "cuda:0"), including from the BIGS_DEVICE environment variable. Each GPU device is opened once per process
/// (kernels built on first use) and shared.
/// </summary>
public static class Devices
{
    /// <summary>The environment variable naming the default device.</summary>
    public const string EnvironmentVariable = "BIGS_DEVICE";

    private static readonly Dictionary<(DeviceKind, int), GpuBackend> Opened = [];
    private static readonly object Gate = new();

    /// <summary>OpenCL device <paramref name="index"/> (numbered across all platforms).</summary>
    public static Device OpenCL(int index = 0) => Open(DeviceKind.OpenCL, index, i => new OpenClBackend(i));

    /// <summary>CUDA device <paramref name="index"/>.</summary>
    public static Device Cuda(int index = 0) => Open(DeviceKind.Cuda, index, i => new CudaBackend(i));

    /// <summary>Parses "cpu", "opencl[:N]" or "cuda[:N]" (case-insensitive) and opens that device.</summary>
    public static Device FromName(string name)
    {
        var (kind, index) = Parse(name) ?? throw new ArgumentException($"device '{name}' is not of the form cpu, opencl[:N] or cuda[:N]", nameof(name));
        return kind switch
        {
            DeviceKind.OpenCL => OpenCL(index),
            DeviceKind.Cuda => Cuda(index),
            _ => Device.Cpu,
        };
    }

    /// <summary>True when <paramref name="name"/> has the form cpu, opencl[:N] or cuda[:N] (without opening anything).</summary>
    public static bool IsValidName(string name) => Parse(name) is not null;

    private static (DeviceKind Kind, int Index)? Parse(string name)
    {
        var parts = name.Trim().ToLowerInvariant().Split(':');
        int index = 0;
        if (parts.Length > 2 || (parts.Length == 2 && !int.TryParse(parts[1], out index)) || index < 0) return null;
        return parts[0] switch
        {
            "cpu" when index == 0 => (DeviceKind.Cpu, 0),
            "opencl" => (DeviceKind.OpenCL, index),
            "cuda" => (DeviceKind.Cuda, index),
            _ => null,
        };
    }

    /// <summary>The device named by BIGS_DEVICE, or the CPU when it is unset or empty.</summary>
    public static Device FromEnvironment()
    {
        string? name = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(name) ? Device.Cpu : FromName(name);
    }

    private static Device Open(DeviceKind kind, int index, Func<int, GpuBackend> create)
    {
        lock (Gate)
        {
            if (!Opened.TryGetValue((kind, index), out var backend))
            {
                backend = create(index);
                Opened[(kind, index)] = backend;
            }
            return backend.Device;
        }
    }
}
