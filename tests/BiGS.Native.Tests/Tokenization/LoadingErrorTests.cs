using BiGS.Native.Tokenization;
using Xunit;

namespace BiGS.Native.Tests.Tokenization;

public class LoadingErrorTests
{
    private const string MinimalVocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n##s\n";

    private static BertTokenizer VocabFromText(string text) => BertTokenizer.FromVocab(new StringReader(text), "test-vocab.txt");

    private static BertTokenizer JsonFromText(string json) =>
        BertTokenizer.FromTokenizerJson(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)), "test-tokenizer.json");

    private static string MinimalJson(string model = """{"type": "WordPiece", "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4, "hi": 5}}""",
        string normalizer = """{"type": "BertNormalizer", "lowercase": true}""",
        string addedTokens = """[{"id": 4, "content": "[MASK]", "special": true}]""") =>
        $$"""{"added_tokens": {{addedTokens}}, "normalizer": {{normalizer}}, "pre_tokenizer": {"type": "BertPreTokenizer"}, "model": {{model}}}""";

    [Fact]
    public void A_minimal_vocabulary_works()
    {
        var tokenizer = VocabFromText(MinimalVocab);
        Assert.Equal(["[CLS]", "hello", "##s", "[UNK]", "[MASK]", "[SEP]"], tokenizer.Encode("HELLOS xyz[MASK]").Tokens);
    }

    [Fact]
    public void A_minimal_tokenizer_json_works()
    {
        var tokenizer = JsonFromText(MinimalJson());
        Assert.Equal([2, 5, 1, 4, 3], tokenizer.Encode("Hi ho[MASK]").InputIds);
    }

    [Fact]
    public void Missing_files_name_their_path()
    {
        string missing = Path.Combine(Path.GetTempPath(), "no-such-dir-bigs", "vocab.txt");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => BertTokenizer.FromVocab(missing)).Message);
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => BertTokenizer.FromTokenizerJson(missing)).Message);
    }

    [Theory]
    [InlineData("", "vocabulary is empty")]
    [InlineData("[PAD]\n[UNK]\n[CLS]\n[PAD]\n", "line 4: duplicate token '[PAD]' (first seen on line 1)")]
    [InlineData("[PAD]\n\n[UNK]\n", "line 2 is empty")]
    [InlineData("[PAD]\n[CLS]\n[SEP]\n[MASK]\n", "no unknown token '[UNK]'")]
    [InlineData("[PAD]\n[UNK]\n[SEP]\n[MASK]\n", "no '[CLS]' token")]
    public void Bad_vocabularies_are_rejected_with_the_reason(string vocab, string expectedMessage)
    {
        var error = Assert.Throws<InvalidDataException>(() => VocabFromText(vocab));
        Assert.Contains("test-vocab.txt", error.Message);
        Assert.Contains(expectedMessage, error.Message);
    }

    [Fact]
    public void Invalid_utf8_in_a_vocabulary_file_is_reported()
    {
        string path = Path.Combine(Path.GetTempPath(), $"bigs-bad-vocab-{Guid.NewGuid():N}.txt");
        File.WriteAllBytes(path, [.. System.Text.Encoding.UTF8.GetBytes("[PAD]\n[UNK]\n"), 0xFF, 0xFE, (byte)'\n']);
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => BertTokenizer.FromVocab(path));
            Assert.Contains("not valid UTF-8", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static TheoryData<string, string> BadJson => new()
    {
        { "{\"model\": ", "not valid JSON" },
        { MinimalJson(model: """{"type": "WordPiece"}"""), "'model.vocab' is missing" },
        { MinimalJson(model: """{"type": "BPE", "vocab": {}}"""), "'model.type' is 'BPE'" },
        { MinimalJson(model: """{"vocab": {"[UNK]": "zero"}}"""), "'model.vocab[\"[UNK]\"]' must be an integer id" },
        { MinimalJson(model: """{"vocab": {"[UNK]": 0, "a": 2}}"""), "id 1 is missing" },
        { MinimalJson(model: """{"vocab": {"[UNK]": 0}, "max_input_chars_per_word": "many"}"""), "'model.max_input_chars_per_word' must be a JSON number" },
        { MinimalJson(normalizer: """{"type": "NFKC"}"""), "'normalizer.type' must be 'BertNormalizer'" },
        { MinimalJson(normalizer: """{"type": "BertNormalizer", "lowercase": "yes"}"""), "'normalizer.lowercase' must be true, false or null" },
        { MinimalJson(addedTokens: """[{"id": 7, "content": "[MASK]"}]"""), "'added_tokens[0].id' is 7, but model.vocab gives '[MASK]' id 4" },
        { MinimalJson(addedTokens: """[{"id": 4, "content": "[MASK]", "lstrip": true}]"""), "'added_tokens[0].lstrip' is true" },
        { MinimalJson(addedTokens: """[{"content": "[MASK]"}]"""), "'added_tokens[0].id' is missing" },
    };

    [Theory]
    [MemberData(nameof(BadJson))]
    public void Bad_tokenizer_json_names_the_field(string json, string expectedMessage)
    {
        var error = Assert.Throws<InvalidDataException>(() => JsonFromText(json));
        Assert.Contains("test-tokenizer.json", error.Message);
        Assert.Contains(expectedMessage, error.Message);
    }
}
