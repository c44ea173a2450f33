using System.CommandLine;
using BiGS.Native.Cli.Commands;

namespace BiGS.Native.Cli;

/// <summary>The <c>bigs</c> command: one sub-command per task, each defined in Commands/.</summary>
public static class Program
{
    /// <summary>Parses <paramref name="args"/>, runs the chosen sub-command and returns its exit code (0 on success).</summary>
    public static int Main(string[] args) => BuildRoot().Parse(args).Invoke();

    /// <summary>The root command with every sub-command attached (also used by tests).</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("BiGS.Native: the Bidirectional Gated State Space model (BiGS) in C#");
        foreach (var command in CommandCatalog.All())
            root.Subcommands.Add(command);
        return root;
    }
}
