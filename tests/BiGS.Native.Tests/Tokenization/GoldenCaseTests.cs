using BiGS.Native.Tokenization;
using Xunit;

namespace BiGS.Native.Tests.Tokenization;

/// <summary>Every golden case must match exactly, whichever file the tokenizer was loaded from.</summary>
public class GoldenCaseTests
{
    public static TheoryData<int, string> Rows => TokenizerTestData.CaseRows();

    [Theory]
    [MemberData(nameof(Rows))]
    public void FromVocab_matches_golden_case(int line, string text)
    {
        _ = text; // shown in the test name only
        AssertMatches(TokenizerTestData.Case(line), TokenizerTestData.Encode(TokenizerTestData.FromVocab, TokenizerTestData.Case(line)));
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void FromTokenizerJson_matches_golden_case(int line, string text)
    {
        _ = text;
        AssertMatches(TokenizerTestData.Case(line), TokenizerTestData.Encode(TokenizerTestData.FromTokenizerJson, TokenizerTestData.Case(line)));
    }

    [Fact]
    public void All_seventy_cases_are_read()
    {
        Assert.Equal(70, TokenizerTestData.Cases.Count);
    }

    [Fact]
    public void Embedded_vocabulary_is_the_data_file()
    {
        var embedded = BertTokenizer.BertBaseUncased().Vocabulary.Tokens;
        Assert.Equal(File.ReadAllLines(TokenizerTestData.VocabPath), embedded);
    }

    [Fact]
    public void Batch_encoding_matches_the_golden_cases_in_order()
    {
        var singles = TokenizerTestData.Cases.Where(c => c.TextPair is null && c.MaxLength is null).ToArray();
        var encodings = TokenizerTestData.FromVocab.EncodeBatch(singles.Select(c => c.Text).ToArray());
        Assert.Equal(singles.Length, encodings.Count);
        for (int i = 0; i < singles.Length; i++)
            AssertMatches(singles[i], encodings[i]);
    }

    [Fact]
    public void Batch_encoding_of_pairs_with_truncation_matches_the_golden_cases()
    {
        var pairs = TokenizerTestData.Cases.Where(c => c is { TextPair: not null, MaxLength: 16, Truncation: true }).ToArray();
        Assert.NotEmpty(pairs);
        var encodings = TokenizerTestData.FromVocab.EncodeBatch(
            pairs.Select(c => c.Text).ToArray(), pairs.Select(c => c.TextPair!).ToArray(), maxLength: 16, truncation: true);
        for (int i = 0; i < pairs.Length; i++)
            AssertMatches(pairs[i], encodings[i]);
    }

    internal static void AssertMatches(GoldenCase expected, Encoding actual)
    {
        Assert.Equal(expected.Tokens, actual.Tokens);
        Assert.Equal(expected.InputIds, actual.InputIds);
        Assert.Equal(expected.TokenTypeIds, actual.TokenTypeIds);
        Assert.Equal(expected.AttentionMask, actual.AttentionMask);
    }
}
