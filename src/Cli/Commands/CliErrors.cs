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
            Console.Error.WriteLine($"error: {OneLine(e)}");
            return 1;
        }
    }

    /// <summary>Creates an output directory and proves it writable before any work starts; the error names the option.</summary>
    public static void RequireWritableDirectory(string directory, string option)
    {
        try
        {
            Directory.CreateDirectory(directory);
            string probe = Path.Combine(directory, $".write-test-{Guid.NewGuid():N}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{option} {directory} is not a writable directory: {e.Message}", e);
        }
    }

    /// <summary>The message's first line, without the " (Parameter 'x')" an ArgumentException appends.</summary>
    private static string OneLine(Exception e)
    {
        string message = e.Message.Split('\n')[0].TrimEnd();
        string suffix = e is ArgumentException { ParamName: { } name } ? $" (Parameter '{name}')" : "";
        return suffix.Length > 0 && message.EndsWith(suffix, StringComparison.Ordinal) ? message[..^suffix.Length] : message;
    }

    private static bool IsUserError(Exception e) =>
        e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException
            or CheckpointFormatException or ConfigException or KeyNotFoundException or FormatException
            or InvalidOperationException or System.Text.Json.JsonException or Gpu.GpuOutOfMemoryException;
}
