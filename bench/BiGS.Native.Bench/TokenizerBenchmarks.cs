using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BiGS.Native.Tokenization;

namespace BiGS.Native.Bench;

/// <summary>
/// Tokeniser throughput on the pretraining corpus: every line of data/corpus/kjv.txt.gz (31,102 verses, 4.1 MB)
/// encoded with the embedded bert-base-uncased vocabulary, one line at a time and as one parallel batch.
/// The "Tokens/s" column counts word pieces ([CLS]/[SEP] excluded).
/// Run: <c>dotnet run -c Release --project bench/BiGS.Native.Bench -- --filter *TokenizerBenchmarks*</c>
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
[Config(typeof(TokensPerSecondConfig))]
public class TokenizerBenchmarks
{
    private string[] lines = [];
    private BertTokenizer tokenizer = null!;

    /// <summary>Loads the corpus and the tokenizer.</summary>
    [GlobalSetup]
    public void Setup()
    {
        lines = KjvCorpus.ReadLines();
        tokenizer = BertTokenizer.BertBaseUncased();
    }

    /// <summary><see cref="BertTokenizer.Encode"/> on each line in turn (one thread).</summary>
    [Benchmark(Baseline = true)]
    public long EncodeLineByLine()
    {
        long pieces = 0;
        foreach (string line in lines)
            pieces += tokenizer.Encode(line).InputIds.Length - 2;
        return pieces;
    }

    /// <summary><see cref="BertTokenizer.EncodeBatch"/> on all lines (worker threads).</summary>
    [Benchmark]
    public long EncodeBatch() => tokenizer.EncodeBatch(lines).Sum(e => (long)e.InputIds.Length - 2);

    private sealed class TokensPerSecondConfig : ManualConfig
    {
        public TokensPerSecondConfig() => AddColumn(new TokensPerSecondColumn());
    }

    /// <summary>Word pieces of the whole corpus divided by the mean time of one pass.</summary>
    private sealed class TokensPerSecondColumn : IColumn
    {
        private static readonly Lazy<long> corpusPieces = new(() =>
            BertTokenizer.BertBaseUncased().EncodeBatch(KjvCorpus.ReadLines()).Sum(e => (long)e.InputIds.Length - 2));

        public string Id => nameof(TokensPerSecondColumn);
        public string ColumnName => "Tokens/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Word pieces of the whole KJV corpus ([CLS]/[SEP] excluded) per second of wall time";
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public bool IsAvailable(Summary summary) => true;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var statistics = summary[benchmarkCase]?.ResultStatistics;
            if (statistics is null) return "NA";
            double seconds = statistics.Mean * 1e-9;
            return $"{corpusPieces.Value / seconds / 1e6:F2} M";
        }
    }
}

/// <summary>The KJV pretraining corpus, found in the repository's data/ folder by walking up from the working directory.</summary>
internal static class KjvCorpus
{
    private const string RelativePath = "data/corpus/kjv.txt.gz";

    public static string[] ReadLines()
    {
        using var file = File.OpenRead(FindFile());
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
            lines.Add(line);
        return lines.ToArray();
    }

    private static string FindFile()
    {
        for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, RelativePath);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"{RelativePath} not found in {Directory.GetCurrentDirectory()} or any parent directory");
    }
}
