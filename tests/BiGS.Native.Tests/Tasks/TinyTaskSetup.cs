using BiGS.Native.Modeling;

namespace BiGS.Native.Tests.Tasks;

/// <summary>
/// A tiny masked-LM checkpoint with its own small vocabulary, and a tiny sentiment-like task (SST-2 layout) whose
/// label is given by one word, for in-process smoke tests of the task commands.
/// </summary>
internal sealed class TinyTaskSetup : IDisposable
{
    private static readonly string[] Subjects = ["the cat", "a dog", "my friend", "this film", "the song"];
    private static readonly string[] Verbs = ["is", "was", "seems", "looks"];
    private static readonly string[] Positive = ["good", "great", "lovely"];
    private static readonly string[] Negative = ["bad", "awful", "dull"];

    public TinyTaskSetup()
    {
        var words = Subjects.SelectMany(s => s.Split(' ')).Concat(Verbs).Concat(Positive).Concat(Negative).Append(".").Distinct();
        Files.Write("model/vocab.txt", string.Join('\n', new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Concat(words)) + "\n");
        var config = new BiGSConfig
        {
            VocabSize = 32, HiddenSize = 16, NumHiddenLayers = 1, IntermediateSize = 32, NumSsm = 8,
            MaxPositionEmbeddings = 16, HiddenDropoutProb = 0f, Architectures = [nameof(BiGSForMaskedLM)],
        };
        new BiGSForMaskedLM(config, seed: 3).SavePretrained(ModelDirectory);
        Files.Write("data/train.tsv", TaskFile(40, seed: 1));
        Files.Write("data/dev.tsv", TaskFile(16, seed: 2));
    }

    public TaskTestFiles Files { get; } = new();

    public string ModelDirectory => Path.Combine(Files.Root, "model");

    public string DataDirectory => Path.Combine(Files.Root, "data");

    /// <summary>"sentence\tlabel" rows: label 1 when the adjective is positive.</summary>
    private static string TaskFile(int rows, int seed)
    {
        var random = new Random(seed);
        var lines = new List<string> { "sentence\tlabel" };
        for (int i = 0; i < rows; i++)
        {
            bool positive = i % 2 == 0;
            var adjectives = positive ? Positive : Negative;
            lines.Add($"{Subjects[random.Next(Subjects.Length)]} {Verbs[random.Next(Verbs.Length)]} {adjectives[random.Next(adjectives.Length)]} .\t{(positive ? 1 : 0)}");
        }
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>Runs <c>bigs</c> in-process with the console captured (callers must be in the "Console" collection).</summary>
    public static (int ExitCode, string Output, string Error) Run(params string[] args) => Cli.CliRunner.Run(args);

    public void Dispose() => Files.Dispose();
}
