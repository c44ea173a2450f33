using Microsoft.ML.Tokenizers;
using BertTokenizer = BiGS.Native.Tokenization.BertTokenizer;

namespace BiGS.Native.Tests.Tokenization;

/// <summary>
/// The tokenizer through the Microsoft.ML.Tokenizers <see cref="Tokenizer"/> API, checked against the golden cases
/// (single texts without a length limit: the API has no pairs or padding).
/// </summary>
public class MlTokenizerApiTests
{
    private static Tokenizer Api => BertTokenizer.BertBaseUncased();

    public static TheoryData<int, string> SingleRows()
    {
        var rows = new TheoryData<int, string>();
        for (int line = 1; line <= TokenizerTestData.Cases.Count; line++)
            if (TokenizerTestData.Case(line) is { TextPair: null, MaxLength: null } c)
                rows.Add(line, c.Text);
        return rows;
    }

    [Theory]
    [MemberData(nameof(SingleRows))]
    public void EncodeToIds_and_CountTokens_match_the_golden_case(int line, string text)
    {
        var expected = TokenizerTestData.Case(line);
        Assert.Equal(expected.InputIds, Api.EncodeToIds(text));
        Assert.Equal(expected.InputIds.Length, Api.CountTokens(text));
    }

    [Theory]
    [MemberData(nameof(SingleRows))]
    public void EncodeToTokens_offsets_point_at_each_piece_in_the_normalised_text(int line, string text)
    {
        var expected = TokenizerTestData.Case(line);
        var tokens = Api.EncodeToTokens(text, out string? normalized);
        Assert.Equal(expected.Tokens, tokens.Select(t => t.Value));
        Assert.NotNull(normalized);
        Assert.Equal("", normalized[tokens[0].Offset]);    // the template's [CLS] and [SEP] take no text
        Assert.Equal("", normalized[tokens[^1].Offset]);
        foreach (var token in tokens.Skip(1).SkipLast(1).Where(t => t.Value != "[UNK]"))
        {
            string piece = token.Value.StartsWith("##", StringComparison.Ordinal) ? token.Value[2..] : token.Value;
            Assert.Equal(piece, normalized[token.Offset]);
        }
    }

    [Fact]
    public void A_token_limit_keeps_the_first_tokens_and_says_how_far_they_reach()
    {
        // Golden case: "Hello, World!" -> [CLS] hello , world ! [SEP]; normalised "hello, world!".
        var ids = Api.EncodeToIds("Hello, World!", maxTokenCount: 3, out string? normalized, out int charsConsumed);
        Assert.Equal([101, 7592, 1010], ids);
        Assert.Equal("hello, world!", normalized);
        Assert.Equal("hello,".Length, charsConsumed);
    }

    [Fact]
    public void Decode_through_the_api_is_the_tokenizers_decode()
    {
        int[] ids = [101, 7592, 1010, 2088, 999, 102];
        Assert.Equal(BertTokenizer.BertBaseUncased().Decode(ids), Api.Decode(ids));
        Assert.Equal("[CLS] hello, world! [SEP]", Api.Decode(ids));
    }
}
