using System.Text;

namespace BiGS.Native.Tokenization;

/// <summary>
/// Turns WordPiece tokens back into text: continuation pieces ("##ing") are glued to the previous piece,
/// other tokens are separated by a space, and then the spaces the tokenizer put before punctuation and
/// inside English contractions are removed (" ." → ".", " n't" → "n't", …).
/// </summary>
public sealed class WordPieceDecoder(string continuingSubwordPrefix = "##", bool cleanup = true)
{
    /// <summary>
    /// The clean-up replacements, applied in this order to the whole text (the list used by Hugging Face
    /// transformers' <c>clean_up_tokenization</c>).
    /// </summary>
    private static readonly (string Spaced, string Joined)[] CleanupReplacements =
    [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"),
        (" n't", "n't"), (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ];

    /// <summary>Joins <paramref name="tokens"/> into text.</summary>
    public string Decode(IEnumerable<string> tokens)
    {
        var text = new StringBuilder();
        bool first = true;
        foreach (string token in tokens)
        {
            if (!first && token.StartsWith(continuingSubwordPrefix, StringComparison.Ordinal))
                text.Append(token, continuingSubwordPrefix.Length, token.Length - continuingSubwordPrefix.Length);
            else
            {
                if (!first) text.Append(' ');
                text.Append(token);
            }
            first = false;
        }
        if (cleanup)
            CleanUpSpaces(text);
        return text.ToString();
    }

    /// <summary>Removes the spaces tokenisation put before punctuation and inside contractions.</summary>
    private static void CleanUpSpaces(StringBuilder text)
    {
        foreach (var (spaced, joined) in CleanupReplacements)
            text.Replace(spaced, joined);
    }
}
