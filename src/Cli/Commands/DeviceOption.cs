using System.CommandLine;
using BiGS.Native.Tensors;

namespace BiGS.Native.Cli.Commands;

/// <summary>
/// The <c>--device cpu|cuda[:N]|opencl[:N]|ilgpu-cpu</c> option every compute command shares. Without it the BIGS_DEVICE
/// environment variable decides, and without that the CPU. Usage in a command:
/// <code>
/// var device = DeviceOption.Create();
/// command.Options.Add(device);
/// ... var target = DeviceOption.Resolve(result.GetValue(device)); model.To(target);
/// </code>
/// </summary>
internal static class DeviceOption
{
    /// <summary>A new --device option (System.CommandLine options belong to one command each).</summary>
    public static Option<string?> Create()
    {
        var option = new Option<string?>("--device")
        {
            Description = $"Device to compute on: cpu, cuda[:N], opencl[:N] (OpenCL 2.0+), ilgpu-cpu (the GPU kernels on " +
                "host threads through ILGPU's CPU accelerator: slow, for testing and debugging) or ilgpu-dry (ilgpu-cpu with every " +
                "kernel launch and memory clear counted and skipped: a run's device memory and launches in seconds, with meaningless values) " +
                $"(default: ${Devices.EnvironmentVariable}, else cpu)",
            HelpName = "device",
        };
        option.Validators.Add(result =>
        {
            string? name = result.GetValueOrDefault<string?>();
            if (name is not null && !Devices.IsValidName(name))
                result.AddError($"--device '{name}' is not of the form {Devices.NameForms}");
        });
        return option;
    }

    /// <summary>
    /// Opens the device the option names, or the BIGS_DEVICE default when it was not given. A device that cannot be
    /// opened (no driver, no such index) throws with the reason, which <see cref="CliErrors"/> reports.
    /// </summary>
    public static Device Resolve(string? name) => string.IsNullOrWhiteSpace(name) ? Devices.FromEnvironment() : Devices.FromName(name);
}
