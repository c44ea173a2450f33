using BiGS.Native.Modeling;
using BiGS.Native.Tokenization;

namespace BiGS.Native.Tasks;

/// <summary>
/// The tokenizer that goes with a model directory: its <c>tokenizer.json</c>, else its <c>vocab.txt</c>, else the
/// embedded bert-base-uncased vocabulary (what the authors' checkpoints and our default pretraining use).
/// </summary>
public static class ModelTokenizer
{
    /// <summary>File name of a Hugging Face tokenizer.</summary>
    public const string TokenizerJsonFile = "tokenizer.json";

    /// <summary>File name of a WordPiece vocabulary.</summary>
    public const string VocabFile = "vocab.txt";

    /// <summary>The tokenizer file of a model directory (tokenizer.json preferred), or null when it has none.</summary>
    public static string? FileIn(string modelDirectory) =>
        new[] { TokenizerJsonFile, VocabFile }.Select(name => Path.Combine(modelDirectory, name)).FirstOrDefault(File.Exists);

    /// <summary>Loads the directory's tokenizer, or the embedded bert-base-uncased one when there is none.</summary>
    public static BertTokenizer Load(string modelDirectory) =>
        FileIn(modelDirectory) is null ? BertTokenizer.BertBaseUncased() : BertTokenizer.FromPretrained(modelDirectory);

    /// <summary>Loads a tokenizer file: a Hugging Face tokenizer.json if its name ends in .json, else a vocab.txt.</summary>
    public static BertTokenizer LoadFile(string tokenizerFile) =>
        IsTokenizerJson(tokenizerFile) ? BertTokenizer.FromTokenizerJson(tokenizerFile) : BertTokenizer.FromVocab(tokenizerFile);

    /// <summary>Throws when the tokenizer can produce ids the model has no embedding for.</summary>
    public static void RequireFits(BertTokenizer tokenizer, BiGSConfig config, string modelDirectory)
    {
        if (tokenizer.VocabSize > config.VocabSize)
            throw new ArgumentException($"the tokenizer has {tokenizer.VocabSize} tokens but the model in {modelDirectory} embeds only {config.VocabSize} (vocab_size); give the model its own {VocabFile}");
    }

    /// <summary>Copies the tokenizer file of one model directory (if it has one) into another, atomically.</summary>
    public static void CopyFile(string fromDirectory, string toDirectory)
    {
        if (FileIn(fromDirectory) is { } source) SaveFile(source, toDirectory);
    }

    /// <summary>
    /// Copies a tokenizer file into a model directory atomically, under the name loaders look for:
    /// tokenizer.json for a .json file, else vocab.txt. Returns the copy's path.
    /// </summary>
    public static string SaveFile(string tokenizerFile, string modelDirectory)
    {
        string target = Path.Combine(modelDirectory, IsTokenizerJson(tokenizerFile) ? TokenizerJsonFile : VocabFile);
        if (Path.GetFullPath(tokenizerFile) == Path.GetFullPath(target)) return target;
        AtomicFile.Write(target, stream =>
        {
            using var input = File.OpenRead(tokenizerFile);
            input.CopyTo(stream);
        });
        return target;
    }

    private static bool IsTokenizerJson(string tokenizerFile) => tokenizerFile.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
}
