using BiGS.Native.Cli.Progress;

namespace BiGS.Native.Tests.Cli;

/// <summary>How learning rates print in progress lines and in finetune's summary (a linear decay ends at 0).</summary>
public class TrainingDisplayTests
{
    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(2e-5, "2e-5")]
    [InlineData(5e-4, "5e-4")]
    [InlineData(1.25e-3, "1.25e-3")]
    public void Learning_rates_print_in_short_scientific_notation_and_zero_as_zero(double rate, string expected) =>
        Assert.Equal(expected, TrainingDisplay.FormatRate(rate));
}
