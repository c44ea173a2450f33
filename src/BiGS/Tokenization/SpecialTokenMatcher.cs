using System.Buffers;

namespace BiGS.Native.Tokenization;

/// <summary>
/// Finds special tokens (<c>[CLS]</c>, <c>[SEP]</c>, <c>[PAD]</c>, <c>[UNK]</c>, <c>[MASK]</c>, …) written in raw text,
/// before normalisation: exact, case-sensitive matches that need no spaces around them, so "x[MASK]y" holds one.
/// At each position the longest special token wins; the search moves left to right.
/// </summary>
public sealed class SpecialTokenMatcher
{
    private readonly (string Text, int Id)[] tokensLongestFirst;
    private readonly SearchValues<char> firstChars;

    /// <summary>Creates a matcher for the given (token text, id) pairs.</summary>
    public SpecialTokenMatcher(IEnumerable<(string Text, int Id)> specialTokens)
    {
        tokensLongestFirst = specialTokens.Where(t => t.Text.Length > 0).OrderByDescending(t => t.Text.Length).ToArray();
        firstChars = SearchValues.Create(tokensLongestFirst.Select(t => t.Text[0]).Distinct().ToArray());
    }

    /// <summary>The special tokens, longest first.</summary>
    public IReadOnlyList<(string Text, int Id)> Tokens => Array.AsReadOnly(tokensLongestFirst);

    /// <summary>
    /// Finds the first special token in <paramref name="text"/> at or after <paramref name="from"/>.
    /// Returns false when there is none.
    /// </summary>
    public bool TryFindNext(ReadOnlySpan<char> text, int from, out int start, out int length, out int id)
    {
        int position = from;
        while (position < text.Length)
        {
            int offset = text[position..].IndexOfAny(firstChars);
            if (offset < 0) break;
            position += offset;
            foreach (var (token, tokenId) in tokensLongestFirst)
            {
                if (text[position..].StartsWith(token, StringComparison.Ordinal))
                {
                    (start, length, id) = (position, token.Length, tokenId);
                    return true;
                }
            }
            position++;
        }
        (start, length, id) = (-1, 0, -1);
        return false;
    }
}
