using System.CommandLine;

namespace BiGS.Native.Cli.Commands;

/// <summary>The <c>--log-every N</c> option of the training commands (<c>pretrain</c>, <c>finetune</c>).</summary>
internal static class LogEveryOption
{
    /// <summary>A new --log-every option (System.CommandLine options belong to one command each).</summary>
    public static Option<int> Create() => new Option<int>("--log-every")
    {
        Description = "Read back and log the metrics every N updates, as their means (on a GPU, N > 1 lets the device run ahead)",
        DefaultValueFactory = _ => 1,
    }.AtLeast(1);
}
