using BiGS.Native.Tokenization;
using Xunit;

namespace BiGS.Native.Tests.Tokenization;

/// <summary>Behaviour stated in the fixture README and data README that the golden cases do not cover on their own.</summary>
public class TokenizerBehaviourTests
{
    private static BertTokenizer Tokenizer => TokenizerTestData.FromVocab;

    [Fact]
    public void Known_ids_of_the_bert_base_uncased_vocabulary()
    {
        Assert.Equal(30522, Tokenizer.VocabSize);
        Assert.Equal((0, 100, 101, 102, 103), (Tokenizer.PadId, Tokenizer.UnkId, Tokenizer.ClsId, Tokenizer.SepId, Tokenizer.MaskId));
        Assert.Equal(3000, Tokenizer.TokenToId("paris"));
        Assert.Equal(29612, Tokenizer.TokenToId("##!"));
        Assert.Null(Tokenizer.TokenToId("Paris"));
        Assert.Equal(["the", "of", "##ing", "happiness"], Tokenizer.ConvertIdsToTokens([1996, 1997, 2075, 8404]));
    }

    [Theory]
    [InlineData("ΟΔΟΣ", "οδοσ")]          // one code point at a time: capital sigma becomes σ, never final ς
    [InlineData("ﬁ ² ½", "ﬁ ² ½")]        // no compatibility normalisation
    [InlineData("e\u0301 Å", "e a")]      // NFD, then the non-spacing marks go
    [InlineData("a\U00020000b", "a \U00020000 b")] // a supplementary-plane ideograph is spaced out too
    [InlineData("カタカナ", "カタカナ")]      // kana is not spaced out (NFD leaves these unchanged)
    [InlineData("a\u00a0b\u2028c", "a b c")]
    [InlineData("a\u200bb\u00adc\ue000d", "abcd")] // format and private-use characters are dropped
    public void Normalizer_follows_hugging_face_tokenizers(string text, string expected)
    {
        Assert.Equal(expected, Tokenizer.Normalizer.Normalize(text));
    }

    [Fact]
    public void Pre_tokenizer_isolates_ascii_symbols_and_unicode_punctuation()
    {
        Assert.Equal(["a", "$", "b", "+", "c", "«", "d", "»", "e", "^", "f"], BertPreTokenizer.Split("a$b+c «d» e^f"));
    }

    [Fact]
    public void An_empty_text_pair_is_an_empty_second_sequence()
    {
        var encoding = Tokenizer.Encode("hello", "");
        Assert.Equal(["[CLS]", "hello", "[SEP]", "[SEP]"], encoding.Tokens);
        Assert.Equal([0, 0, 0, 1], encoding.TokenTypeIds);
    }

    [Fact]
    public void Word_length_is_counted_in_code_points_and_pieces_never_split_a_surrogate_pair()
    {
        const string emoji = "\U0001F600"; // one code point, two UTF-16 units
        var vocabulary = Vocabulary.FromPairs([("[UNK]", 0), (emoji, 1), ("##" + emoji, 2)], "test", "pairs");
        var wordPiece = new WordPiece(vocabulary, maxInputCharsPerWord: 100);

        var sixty = wordPiece.Tokenize(string.Concat(Enumerable.Repeat(emoji, 60))); // 120 units, 60 code points
        Assert.Equal([1, .. Enumerable.Repeat(2, 59)], sixty);
        Assert.Equal([0], wordPiece.Tokenize(string.Concat(Enumerable.Repeat(emoji, 101))));
        Assert.Equal([0], wordPiece.Tokenize(emoji + "x")); // an unmatched tail makes the whole word unknown
    }

    [Theory]
    // (n1, n2, budget) -> kept lengths, worked out by hand from the rule in the fixture README.
    [InlineData(10, 10, 13, 6, 7)]   // equal lengths: the second counts as the longer one
    [InlineData(14, 2, 13, 11, 2)]   // only the longer (first) is cut
    [InlineData(1, 14, 13, 1, 12)]   // only the longer (second) is cut
    [InlineData(12, 7, 13, 7, 6)]    // both cut, the longer (first) gets the odd token
    [InlineData(5, 9, 12, 5, 7)]     // shorter fits in half: longer cut to budget - shorter
    [InlineData(8, 9, 12, 6, 6)]     // both cut, even budget
    [InlineData(3, 4, 13, 3, 4)]     // fits: nothing cut
    public void Longest_first_truncation_rule(int first, int second, int budget, int keptFirst, int keptSecond)
    {
        Assert.Equal((keptFirst, keptSecond), LongestFirstTruncation.KeptLengths(first, second, budget));
    }

    [Fact]
    public void Length_options_are_validated()
    {
        Assert.Throws<ArgumentException>(() => Tokenizer.Encode("a", truncation: true));
        Assert.Throws<ArgumentException>(() => Tokenizer.Encode("a", padToMaxLength: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Encode("a", "b", maxLength: 2, truncation: true));
        Assert.Throws<ArgumentException>(() => Tokenizer.EncodeBatch(["a", "b"], ["c"]));
    }

    [Fact]
    public void A_megabyte_line_tokenises_in_linear_time()
    {
        const int words = 250_000;
        var text = string.Concat(Enumerable.Repeat("word, ", words)); // 1.5 MB
        var encoding = Tokenizer.Encode(text);
        Assert.Equal(2 + 2 * words, encoding.InputIds.Length);
        Assert.Equal(Tokenizer.TokenToId("word"), encoding.InputIds[1]);

        var oneHugeWord = Tokenizer.Encode(new string('x', 1_000_000) + " [MASK]");
        Assert.Equal([101, 100, 103, 102], oneHugeWord.InputIds);
    }
}
