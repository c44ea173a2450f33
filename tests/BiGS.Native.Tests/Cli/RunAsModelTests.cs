using System.Text.Json;
using BiGS.Native.Tests.Training;
using BiGS.Native.Training;

namespace BiGS.Native.Tests.Cli;

/// <summary>
/// A new user's next steps after `pretrain`: the run directory as the model of fill-mask and tokenize, fill-mask
/// agreeing with the predictions pretrain printed, and tokenize taking what pretrain takes.
/// </summary>
[Collection("Console")]
public class RunAsModelTests : IDisposable
{
    private readonly TemporaryDirectory work = new();

    /// <inheritdoc />
    public void Dispose() => work.Dispose();

    [Fact]
    public void Fill_mask_on_the_run_directory_uses_its_newest_checkpoint_and_repeats_what_pretrain_printed()
    {
        var inputs = TinyPretrainInputs.Create(work);
        string run = Path.Combine(work.Path, "run");
        var (exit, stdout, error) = CliRunner.Run(inputs.Args(run, 3));
        Assert.True(exit == 0, error + stdout);
        // pretrain prints each demo sentence, then "    token (p)  token (p) ..." with its top 5
        string[] lines = stdout.Split('\n');
        int sentence = Array.FindIndex(lines, l => l.Trim() == "The Lord is my [MASK]; I shall not want.");
        string[] printed = [.. lines[sentence + 1].Split("  ", StringSplitOptions.RemoveEmptyEntries).Select(c => c.Trim().Split(' ')[0])];
        Assert.Equal(5, printed.Length);

        (exit, stdout, error) = CliRunner.Run("fill-mask", "--model", run, "--top-k", "5", "--json", "The Lord is my [MASK]; I shall not want.");
        Assert.True(exit == 0, error);
        Assert.Equal($"using {TrainingCheckpoint.FindLatest(run)}, the newest checkpoint of the run in {run}", error.Trim());
        using var result = JsonDocument.Parse(stdout);
        string[] predicted = [.. result.RootElement.GetProperty("masks")[0].GetProperty("candidates").EnumerateArray().Select(c => c.GetProperty("token").GetString()!)];
        Assert.Equal(printed, predicted);

        // the run's own vocabulary, found through the run directory
        (exit, stdout, error) = CliRunner.Run("tokenize", "--model", run, "--json", "the lord said");
        Assert.True(exit == 0, error);
        Assert.Equal(["[CLS]", "the", "lord", "said", "[SEP]"], JsonDocument.Parse(stdout).RootElement.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public void Tokenize_takes_a_tokenizer_json_falls_back_to_the_built_in_vocabulary_and_warns_past_max_length()
    {
        string tokenizerJson = Path.Combine(AppContext.BaseDirectory, "data", "bert-base-uncased-tokenizer.json");
        var (exit, stdout, error) = CliRunner.Run("tokenize", "--vocab", tokenizerJson, "--json", "Hello, world!");
        Assert.True(exit == 0, error);
        Assert.Equal([101, 7592, 1010, 2088, 999, 102], JsonDocument.Parse(stdout).RootElement.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt32()));

        string modelWithoutTokenizer = work.Subdirectory();
        (exit, stdout, error) = CliRunner.Run("tokenize", "--model", modelWithoutTokenizer, "--json", "Hello, world!");
        Assert.True(exit == 0, error);
        Assert.Equal([101, 7592, 1010, 2088, 999, 102], JsonDocument.Parse(stdout).RootElement.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt32()));

        (exit, stdout, error) = CliRunner.Run("tokenize", "--max-length", "4", "--json", "Hello, world!");
        Assert.True(exit == 0, error);
        Assert.Equal(6, JsonDocument.Parse(stdout).RootElement.GetProperty("input_ids").GetArrayLength());
        Assert.Equal("warning: 6 tokens, more than --max-length 4; add --truncation to cut the text to it", error.Trim());
        (exit, _, error) = CliRunner.Run("tokenize", "--max-length", "4", "--truncation", "--json", "Hello, world!");
        Assert.True(exit == 0 && error == "", error);
    }
}
