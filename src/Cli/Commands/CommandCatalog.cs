using System.CommandLine;

namespace BiGS.Native.Cli.Commands;

/// <summary>Every sub-command of <c>bigs</c>, in the order the help lists them.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All() =>
    [
        ForwardCommand.Create(),
        ConvertCommand.Create(),
        TokenizeCommand.Create(),
        SsmWalkthroughCommand.Create(),
        PretrainCommand.Create(),
        FinetuneCommand.Create(),
        EvalCommand.Create(),
        FillMaskCommand.Create(),
        BenchCommand.Create(),
    ];
}
