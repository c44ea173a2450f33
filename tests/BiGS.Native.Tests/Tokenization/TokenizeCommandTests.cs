using System.Text.Json;
using BiGS.Native.Tests.Cli;
using Xunit;

namespace BiGS.Native.Tests.Tokenization;

/// <summary>Runs <c>bigs tokenize</c> in-process with the console redirected (so this class must not run alongside other console tests).</summary>
[Collection("Console")]
public class TokenizeCommandTests
{
    private static (int ExitCode, string Output, string Error) Run(params string[] args) => CliRunner.Run(args);

    private static string WriteTempFile(byte[] content)
    {
        string path = Path.Combine(Path.GetTempPath(), $"bigs-tokenize-{Guid.NewGuid():N}.jsonl");
        File.WriteAllBytes(path, content);
        return path;
    }

    private static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    [Fact]
    public void Json_output_for_one_text_with_the_embedded_vocabulary()
    {
        var (exitCode, output, error) = Run("tokenize", "--json", "Hello, world!");
        Assert.True(exitCode == 0, error);
        using var result = JsonDocument.Parse(output);
        Assert.Equal([101, 7592, 1010, 2088, 999, 102], Ints(result.RootElement.GetProperty("input_ids")));
        Assert.Equal([0, 0, 0, 0, 0, 0], Ints(result.RootElement.GetProperty("token_type_ids")));
        Assert.Equal("hello", result.RootElement.GetProperty("tokens")[1].GetString());
    }

    [Fact]
    public void Human_readable_output_lists_tokens_with_ids_and_pads_a_pair()
    {
        var (exitCode, output, error) = Run("tokenize", "--vocab", TokenizerTestData.VocabPath,
            "--pair", "Paris", "--max-length", "8", "--padding", "max_length", "France");
        Assert.True(exitCode == 0, error);
        var rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(r => r.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        Assert.Equal(["2", "[SEP]", "102", "0", "1"], rows[3]);
        Assert.Equal(["3", "paris", "3000", "1", "1"], rows[4]);
        Assert.Equal(["7", "[PAD]", "0", "0", "0"], rows[8]);
        Assert.Equal("8 tokens", output.Trim().Split('\n')[^1]);
    }

    [Fact]
    public void Jsonl_of_the_golden_cases_reproduces_them_in_order()
    {
        string modelDirectory = Directory.CreateTempSubdirectory("bigs-model-").FullName;
        File.Copy(TokenizerTestData.TokenizerJsonPath, Path.Combine(modelDirectory, "tokenizer.json"));
        var (exitCode, output, error) = Run("tokenize", "--model", modelDirectory, "--jsonl", TokenizerTestData.CasesPath);
        Directory.Delete(modelDirectory, recursive: true);
        Assert.True(exitCode == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(TokenizerTestData.Cases.Count, lines.Length);
        foreach (var (expected, line) in TokenizerTestData.Cases.Zip(lines))
        {
            using var result = JsonDocument.Parse(line);
            var root = result.RootElement;
            Assert.Equal(expected.InputIds, Ints(root.GetProperty("input_ids")));
            Assert.Equal(expected.TokenTypeIds, Ints(root.GetProperty("token_type_ids")));
            Assert.Equal(expected.AttentionMask, Ints(root.GetProperty("attention_mask")));
            Assert.Equal(expected.Tokens, root.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()));
        }
    }

    [Fact]
    public void Invalid_utf8_in_jsonl_names_the_line_and_fails()
    {
        string path = WriteTempFile([.. "{\"text\": \"ok\"}\n{\"text\": \"bad "u8.ToArray(), 0xC3, 0x28, .. "\"}\n"u8.ToArray()]);
        try
        {
            var (exitCode, output, error) = Run("tokenize", "--jsonl", path);
            Assert.NotEqual(0, exitCode);
            Assert.Contains($"{path} line 2: invalid UTF-8 at byte 14", error);
            Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)); // line 1 was written before the failure
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("{\"text\": \"a\"}\n\n{\"text\": \"b\"\n", "line 3:")]
    [InlineData("{\"text_pair\": \"a\"}\n", "line 1: field 'text' must be a string")]
    [InlineData("{\"text\": \"a\", \"truncation\": true}\n", "line 1: padding to max length and truncation need maxLength")]
    public void Malformed_jsonl_names_the_line_and_fails(string content, string expectedMessage)
    {
        string path = WriteTempFile(System.Text.Encoding.UTF8.GetBytes(content));
        try
        {
            var (exitCode, _, error) = Run("tokenize", "--jsonl", path);
            Assert.NotEqual(0, exitCode);
            Assert.Contains(expectedMessage, error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Missing_files_are_named_and_fail()
    {
        string missing = Path.Combine(Path.GetTempPath(), "bigs-no-such-vocab.txt");
        var (exitCode, _, error) = Run("tokenize", "--vocab", missing, "text");
        Assert.NotEqual(0, exitCode);
        Assert.Contains(missing, error);

        (exitCode, _, error) = Run("tokenize", "--jsonl", missing);
        Assert.NotEqual(0, exitCode);
        Assert.Contains(missing, error);
    }
}
