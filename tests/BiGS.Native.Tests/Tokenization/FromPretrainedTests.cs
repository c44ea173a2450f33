using BiGS.Native.Tokenization;

namespace BiGS.Native.Tests.Tokenization;

/// <summary><see cref="BertTokenizer.FromPretrained"/>: which file of a model directory it reads, and its errors.</summary>
public sealed class FromPretrainedTests : IDisposable
{
    private const string MinimalVocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n";

    private readonly string directory = Directory.CreateTempSubdirectory("bigs-tokenizer-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void Reads_vocab_txt()
    {
        File.WriteAllText(Path.Combine(directory, "vocab.txt"), MinimalVocab);
        var tokenizer = BertTokenizer.FromPretrained(directory);
        Assert.Equal(6, tokenizer.VocabSize);
        Assert.Equal([2, 5, 1, 3], tokenizer.Encode("Hello world").InputIds);
    }

    [Fact]
    public void Prefers_tokenizer_json_over_vocab_txt()
    {
        File.WriteAllText(Path.Combine(directory, "vocab.txt"), MinimalVocab);
        File.Copy(TokenizerTestData.TokenizerJsonPath, Path.Combine(directory, "tokenizer.json"));
        Assert.Equal(30522, BertTokenizer.FromPretrained(directory).VocabSize);
    }

    [Fact]
    public void A_directory_without_tokenizer_files_is_named_with_both_file_names()
    {
        var error = Assert.Throws<FileNotFoundException>(() => BertTokenizer.FromPretrained(directory));
        Assert.Contains(directory, error.Message);
        Assert.Contains("tokenizer.json", error.Message);
        Assert.Contains("vocab.txt", error.Message);
    }

    [Fact]
    public void A_missing_directory_is_named()
    {
        string missing = Path.Combine(directory, "absent");
        Assert.Contains(missing, Assert.Throws<DirectoryNotFoundException>(() => BertTokenizer.FromPretrained(missing)).Message);
    }
}
