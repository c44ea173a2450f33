using BiGS.Native.Cli;

namespace BiGS.Native.Tests.Cli;

/// <summary>
/// Runs a <c>bigs</c> command in-process with the console captured. Test classes that use it belong to the
/// "Console" collection so they never run alongside each other.
/// </summary>
internal static class CliRunner
{
    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var (originalOut, originalError) = (Console.Out, Console.Error);
        var (output, error) = (new StringWriter(), new StringWriter());
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            int exitCode = Program.Run(args);
            return (exitCode, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }
    }
}
