using BiGS.Native.Checkpoints;
using BiGS.Native.Tests.Modeling;
using Xunit;

namespace BiGS.Native.Tests.Cli;

/// <summary>
/// <c>bigs forward --precision</c> on the CPU: fp32 reproduces the fixture's logits, tf32 and bf16 move them by about
/// their rounding of the GEMM operands (so the option reaches the products), and a bad name is a one-line error.
/// Redirects the console, hence the collection.
/// </summary>
[Collection("Console")]
public class ForwardPrecisionTests
{
    [Theory]
    [InlineData("fp32", 0.0, 2e-5)]   // measured 3.5e-6: not TF32
    [InlineData("tf32", 1e-3, 3e-2)]   // measured 8.7e-3
    [InlineData("bf16", 1e-2, 2e-1)]   // measured 6.6e-2 (about 2^3 times tf32: 3 mantissa bits fewer)
    public void The_precision_reaches_every_matrix_product(string precision, double leastChange, double mostChange)
    {
        string inputs = TempPath("inputs"), output = TempPath("output");
        SafeTensorsWriter.Write(inputs,
        [
            TinyFixture.Golden["L40.input_ids"].WithName("input_ids"),
            TinyFixture.Golden["L40.token_type_ids"].WithName("token_type_ids"),
            TinyFixture.Golden["L40.attention_mask"].WithName("attention_mask"),
        ]);
        try
        {
            var (exitCode, _, error) = CliRunner.Run("forward", "--model", TinyFixture.Directory, "--inputs", inputs, "--output", output,
                "--head", "mlm", "--precision", precision);
            Assert.True(exitCode == 0, error);
            var expected = TinyFixture.Golden["L40.mlm_logits"].Floats!;
            var actual = SafeTensorsReader.ReadAll(output)["logits"].Floats!;
            double largest = expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Max();
            Assert.InRange(largest, leastChange, mostChange);
        }
        finally
        {
            File.Delete(inputs);
            File.Delete(output);
        }
    }

    [Fact]
    public void An_unknown_precision_is_a_one_line_error()
    {
        var (exitCode, _, error) = CliRunner.Run("forward", "--model", TinyFixture.Directory, "--inputs", "x", "--output", "y", "--precision", "fp16");
        Assert.NotEqual(0, exitCode);
        Assert.Contains("--precision 'fp16' is not a precision: use fp32, tf32 or bf16", error);
    }

    private static string TempPath(string what) => Path.Combine(Path.GetTempPath(), $"bigs-precision-{what}-{Guid.NewGuid():N}.safetensors");
}
