using System.CommandLine;
using BiGS.Native.Training;

namespace BiGS.Native.Cli.Commands;

/// <summary>The <c>--grad-clip NORM</c> option of the training commands (<c>pretrain</c>, <c>finetune</c>).</summary>
internal static class GradClipOption
{
    /// <summary>A new --grad-clip option (System.CommandLine options belong to one command each).</summary>
    public static Option<float> Create() => new Option<float>("--grad-clip")
    {
        Description = "Global gradient norm limit (0: off)",
        DefaultValueFactory = _ => TrainerOptions.DefaultGradientClipNorm,
    }.NonNegative();

    /// <summary>The clipping norm <paramref name="option"/> gives in <paramref name="result"/>: null (no clipping) for 0.</summary>
    public static float? Read(ParseResult result, Option<float> option) => result.GetValue(option) is > 0 and var clip ? clip : null;
}
