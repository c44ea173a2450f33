using System.Text;
using Microsoft.ML.Tokenizers;

namespace BiGS.Native.Tokenization;

/// <summary>
/// Splits normalised text into words: whitespace separates words and is dropped, and every punctuation
/// character becomes a word of its own ("don't" gives "don", "'", "t").
/// Punctuation means the Unicode P* categories plus every ASCII symbol (<c>!</c>–<c>/</c>, <c>:</c>–<c>@</c>,
/// <c>[</c>–<c>`</c>, <c>{</c>–<c>~</c>), so <c>$ + &lt; = &gt; ^ ` | ~</c> count too.
/// </summary>
/// <remarks>
/// A Microsoft.ML.Tokenizers <see cref="PreTokenizer"/> (<see cref="Instance"/>), but not the library's BERT
/// pre-tokenizer: that one keeps only letters, digits and Unicode punctuation, dropping the symbols that are not
/// punctuation (<c>$ + &lt; = &gt; ^ | ~</c>, emoji, <c>½</c>) where Hugging Face keeps them as words.
/// </remarks>
public sealed class BertPreTokenizer : PreTokenizer
{
    private BertPreTokenizer()
    {
    }

    /// <summary>The pre-tokenizer (it has no settings).</summary>
    public static BertPreTokenizer Instance { get; } = new();

    /// <summary>The (offset, length) of each word of <paramref name="text"/>.</summary>
    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => PreTokenize(text.AsSpan());

    /// <summary>The (offset, length) of each word of <paramref name="text"/>.</summary>
    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text)
    {
        var words = new List<(int Start, int Length)>();
        Split(text, words);
        return words;
    }

    /// <summary>Returns the words of <paramref name="text"/>.</summary>
    public static IReadOnlyList<string> Split(string text)
    {
        var words = new List<(int Start, int Length)>();
        Split(text, words);
        return words.Select(w => text.Substring(w.Start, w.Length)).ToArray();
    }

    /// <summary>Appends the (start, length) of each word of <paramref name="text"/> to <paramref name="words"/>.</summary>
    internal static void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> words)
    {
        int wordStart = -1;
        int i = 0;
        while (i < text.Length)
        {
            Rune rune;
            int consumed = 1;
            if (text[i] < '\u0080')
                rune = new Rune(text[i]); // ASCII, the common case, without decoding
            else
                Rune.DecodeFromUtf16(text[i..], out rune, out consumed);
            if (Rune.IsWhiteSpace(rune))
            {
                CloseWord(words, ref wordStart, i);
            }
            else if (IsPunctuation(rune))
            {
                CloseWord(words, ref wordStart, i);
                words.Add((i, consumed));
            }
            else if (wordStart < 0)
            {
                wordStart = i;
            }
            i += consumed;
        }
        CloseWord(words, ref wordStart, text.Length);
    }

    /// <summary>ASCII symbols and Unicode punctuation (categories Pc, Pd, Ps, Pe, Pi, Pf, Po).</summary>
    internal static bool IsPunctuation(Rune rune) =>
        rune.Value is (>= '!' and <= '/') or (>= ':' and <= '@') or (>= '[' and <= '`') or (>= '{' and <= '~')
        || (rune.Value >= 0x80 && Rune.IsPunctuation(rune));

    private static void CloseWord(List<(int Start, int Length)> words, ref int wordStart, int end)
    {
        if (wordStart < 0) return;
        words.Add((wordStart, end - wordStart));
        wordStart = -1;
    }
}
