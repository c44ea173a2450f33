using Xunit;

namespace BiGS.Native.Tests.Tokenization;

public class DecodeTests
{
    private static string RoundTrip(string text, bool skipSpecialTokens = true)
    {
        var tokenizer = TokenizerTestData.FromVocab;
        return tokenizer.Decode(tokenizer.Encode(text).InputIds, skipSpecialTokens);
    }

    [Theory]
    [InlineData("Hello, world! The capital of France is Paris.", "hello, world! the capital of france is paris.")]
    [InlineData("Wait... what?!", "wait... what?!")]
    [InlineData("don't stop, I'm here", "don't stop, i'm here")]
    [InlineData("It's the dog's bone; they've gone, we're late.", "it's the dog's bone ; they've gone, we're late.")]
    [InlineData("antidisestablishmentarianism", "antidisestablishmentarianism")]
    [InlineData("Café naïve Straße", "cafe naive straße")]      // ß has no decomposition and is already lowercase
    public void Decode_joins_pieces_and_cleans_up_spaces(string text, string expected)
    {
        Assert.Equal(expected, RoundTrip(text));
    }

    [Fact]
    public void Decode_keeps_special_tokens_unless_asked_to_skip_them()
    {
        Assert.Equal("[CLS] the [MASK] sat. [SEP]", RoundTrip("The [MASK] sat.", skipSpecialTokens: false));
        Assert.Equal("the sat.", RoundTrip("The [MASK] sat.", skipSpecialTokens: true));
    }

    [Fact]
    public void Decode_glues_continuation_pieces_but_not_a_leading_one()
    {
        var tokenizer = TokenizerTestData.FromVocab;
        int[] ids = [tokenizer.TokenToId("##ing")!.Value, tokenizer.TokenToId("play")!.Value, tokenizer.TokenToId("##ing")!.Value];
        Assert.Equal("##ing playing", tokenizer.Decode(ids));
    }

    /// <summary>
    /// Decoding gives the normalised words back, so encoding the decoded text must reproduce the word pieces
    /// (for every golden case without unknown or special tokens inside).
    /// </summary>
    [Fact]
    public void Encoding_the_decoded_text_gives_the_same_pieces()
    {
        var tokenizer = TokenizerTestData.FromVocab;
        int checkedCases = 0;
        foreach (var c in TokenizerTestData.Cases)
        {
            var pieces = c.InputIds.Where((id, i) => c.AttentionMask[i] == 1 && id != tokenizer.ClsId && id != tokenizer.SepId).ToArray();
            if (pieces.Contains(tokenizer.UnkId) || pieces.Contains(tokenizer.MaskId) || pieces.Contains(tokenizer.PadId))
                continue;
            var reencoded = tokenizer.Encode(tokenizer.Decode(pieces, skipSpecialTokens: true)).InputIds;
            Assert.Equal(pieces, reencoded[1..^1]);
            checkedCases++;
        }
        Assert.True(checkedCases >= 40, $"only {checkedCases} cases checked");
    }

    [Fact]
    public void Ids_outside_the_vocabulary_are_rejected_with_their_position()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TokenizerTestData.FromVocab.Decode([101, 30522]));
        Assert.Contains("ids[1] = 30522", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenizerTestData.FromVocab.ConvertIdsToTokens([-1]));
    }
}
