using System.CommandLine;
using BiGS.Native.Tensors;

namespace BiGS.Native.Cli.Commands;

/// <summary>
/// The <c>--precision fp32|tf32|bf16</c> option of the compute commands: the arithmetic of every matrix product of
/// the run (fp32 accumulation in all three). fp32, the default, is exact fp32 and never uses TF32; tf32 and bf16 run
/// on tensor cores on CUDA devices of compute capability 8.0 or more, and elsewhere round the operands the same way
/// (their numerics, without their speed).
/// </summary>
internal static class PrecisionOption
{
    /// <summary>A new --precision option (System.CommandLine options belong to one command each).</summary>
    public static Option<string> Create()
    {
        var option = new Option<string>("--precision")
        {
            Description = "Matrix-product precision: fp32 (exact, default), tf32 or bf16 (operands rounded, fp32 accumulation; " +
                "tensor cores on CUDA devices of compute capability 8.0+, the same rounding elsewhere)",
            HelpName = "precision",
            DefaultValueFactory = _ => "fp32",
        };
        option.Validators.Add(result =>
        {
            string? name = result.GetValueOrDefault<string>();
            try
            {
                if (name is not null) MatMulPrecision.Parse(name, "--precision");
            }
            catch (ArgumentException e)
            {
                result.AddError(e.Message);
            }
        });
        return option;
    }

    /// <summary>Runs matrix products at the option's precision until the returned scope is disposed.</summary>
    public static IDisposable Use(ParseResult result, Option<string> option) =>
        MatMulPrecision.Use(MatMulPrecision.Parse(result.GetValue(option) ?? "fp32", "--precision"));
}
