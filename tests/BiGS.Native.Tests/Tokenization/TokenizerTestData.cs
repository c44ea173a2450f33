using System.Text.Json;
using BiGS.Native.Tokenization;
using Xunit;

namespace BiGS.Native.Tests.Tokenization;

/// <summary>One golden case of tests/fixtures/tokenizer/cases.jsonl (see its README).</summary>
public sealed record GoldenCase(
    int Line, string Text, string? TextPair, int? MaxLength, bool PadToMaxLength, bool Truncation,
    int[] InputIds, int[] TokenTypeIds, int[] AttentionMask, string[] Tokens);

/// <summary>Paths of the shared tokenizer files, the golden cases, and tokenizers loaded once for all tests.</summary>
public static class TokenizerTestData
{
    public static string VocabPath => Path.Combine(AppContext.BaseDirectory, "data", "bert-base-uncased-vocab.txt");
    public static string TokenizerJsonPath => Path.Combine(AppContext.BaseDirectory, "data", "bert-base-uncased-tokenizer.json");
    public static string CasesPath => Path.Combine(AppContext.BaseDirectory, "fixtures", "tokenizer", "cases.jsonl");

    private static readonly Lazy<BertTokenizer> fromVocab = new(() => BertTokenizer.FromVocab(VocabPath));
    private static readonly Lazy<BertTokenizer> fromTokenizerJson = new(() => BertTokenizer.FromTokenizerJson(TokenizerJsonPath));
    private static readonly Lazy<IReadOnlyList<GoldenCase>> cases = new(ReadCases);

    public static BertTokenizer FromVocab => fromVocab.Value;
    public static BertTokenizer FromTokenizerJson => fromTokenizerJson.Value;
    public static IReadOnlyList<GoldenCase> Cases => cases.Value;

    /// <summary>Rows (line number, start of the text) so a failing row names its case.</summary>
    public static TheoryData<int, string> CaseRows()
    {
        var rows = new TheoryData<int, string>();
        foreach (var c in Cases)
            rows.Add(c.Line, c.Text.Length <= 40 ? c.Text : c.Text[..40] + "…");
        return rows;
    }

    public static GoldenCase Case(int line) => Cases[line - 1];

    public static Encoding Encode(BertTokenizer tokenizer, GoldenCase c) =>
        tokenizer.Encode(c.Text, c.TextPair, c.MaxLength, c.PadToMaxLength, c.Truncation);

    private static IReadOnlyList<GoldenCase> ReadCases()
    {
        var lines = File.ReadAllLines(CasesPath);
        return lines.Select((line, i) => ParseCase(i + 1, line)).ToArray();
    }

    private static GoldenCase ParseCase(int lineNumber, string line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        return new GoldenCase(
            lineNumber,
            root.GetProperty("text").GetString()!,
            root.GetProperty("text_pair").GetString(),
            root.GetProperty("max_length").ValueKind == JsonValueKind.Null ? null : root.GetProperty("max_length").GetInt32(),
            root.GetProperty("padding").ValueKind != JsonValueKind.Null,
            root.GetProperty("truncation").GetBoolean(),
            Ints(root.GetProperty("input_ids")),
            Ints(root.GetProperty("token_type_ids")),
            Ints(root.GetProperty("attention_mask")),
            root.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToArray());
    }

    private static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();
}
