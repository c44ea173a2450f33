using System.CommandLine;
using BiGS.Native.Cli.Commands;

namespace BiGS.Native.Cli;

/// <summary>The <c>bigs</c> command: one sub-command per task, each defined in Commands/.</summary>
public static class Program
{
    /// <summary>Parses <paramref name="args"/>, runs the chosen sub-command and returns its exit code (0 on success).</summary>
    public static int Main(string[] args) => Run(args);

    /// <summary>
    /// Runs <c>bigs</c> with <paramref name="args"/>: a command line that does not parse prints one
    /// <c>error: ...</c> line and where to find the usage, and returns 1; otherwise the command's exit code.
    /// </summary>
    public static int Run(string[] args)
    {
        var parsed = BuildRoot().Parse(args);
        if (parsed.Errors.Count == 0) return parsed.Invoke();
        bool unknownCommand = parsed.CommandResult.Command is RootCommand && parsed.UnmatchedTokens.Count > 0;
        Console.Error.WriteLine(unknownCommand ? $"error: unknown command '{parsed.UnmatchedTokens[0]}'" : $"error: {parsed.Errors[0].Message}");
        string command = string.Join(' ', parsed.CommandResult.Command.Parents.OfType<Command>().Reverse().Skip(1)
            .Append(parsed.CommandResult.Command).Select(c => c.Name).Prepend("bigs").Distinct());
        Console.Error.WriteLine($"see '{command} --help' for the usage");
        return 1;
    }

    /// <summary>The root command with every sub-command attached (also used by tests).</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("BiGS.Native: the Bidirectional Gated State Space model (BiGS) in C#");
        foreach (var command in CommandCatalog.All())
            root.Subcommands.Add(command);
        return root;
    }
}
