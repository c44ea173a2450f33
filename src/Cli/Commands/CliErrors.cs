using BiGS.Native.Checkpoints;
using BiGS.Native.Modeling;

namespace BiGS.Native.Cli.Commands;

/// <summary>Turns the errors a user can cause (bad files, bad options) into one "error: ..." line and exit code 1.</summary>
internal static class CliErrors
{
    /// <summary>Runs a command body, reporting expected failures plainly instead of as a stack trace.</summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static bool IsUserError(Exception e) =>
        e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException
            or CheckpointFormatException or ConfigException or KeyNotFoundException or FormatException
            or InvalidOperationException or System.Text.Json.JsonException or Kernels.Gpu.GpuOutOfMemoryException;
}
