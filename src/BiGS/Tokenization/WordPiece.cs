namespace BiGS.Native.Tokenization;

/// <summary>
/// The WordPiece model: splits one word into vocabulary pieces, greedily taking the longest piece that
/// matches at each position ("unaffable" gives "un", "##aff", "##able"). Pieces after the first carry the
/// continuing-subword prefix (<c>##</c>). If some part of the word matches no piece, or the word has more
/// than <see cref="MaxInputCharsPerWord"/> code points, the whole word becomes the unknown token.
/// </summary>
public sealed class WordPiece
{
    private readonly Vocabulary vocabulary;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> continuationIds;
    private readonly int longestPieceLength;

    /// <summary>Creates the model; throws <see cref="InvalidDataException"/> if <paramref name="unknownToken"/> is not in the vocabulary.</summary>
    public WordPiece(Vocabulary vocabulary, string unknownToken = "[UNK]", string continuingSubwordPrefix = "##", int maxInputCharsPerWord = 100)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxInputCharsPerWord);
        this.vocabulary = vocabulary;
        UnknownId = vocabulary.TryGetId(unknownToken, out int unknownId)
            ? unknownId
            : throw new InvalidDataException($"the vocabulary has no unknown token '{unknownToken}'");
        ContinuingSubwordPrefix = continuingSubwordPrefix;
        MaxInputCharsPerWord = maxInputCharsPerWord;
        continuationIds = IndexContinuationPieces(vocabulary, continuingSubwordPrefix).GetAlternateLookup<ReadOnlySpan<char>>();
        longestPieceLength = vocabulary.Tokens.Max(t => t.Length);
    }

    /// <summary>Id of the token a word becomes when it cannot be split.</summary>
    public int UnknownId { get; }

    /// <summary>The prefix marking a piece that continues a word (<c>##</c>).</summary>
    public string ContinuingSubwordPrefix { get; }

    /// <summary>Longest word, in Unicode code points, that is split; longer words become the unknown token.</summary>
    public int MaxInputCharsPerWord { get; }

    /// <summary>Returns the piece ids of one word.</summary>
    public IReadOnlyList<int> Tokenize(string word)
    {
        var ids = new List<int>();
        AppendIds(word, ids);
        return ids;
    }

    /// <summary>Appends the piece ids of one word to <paramref name="ids"/>.</summary>
    internal void AppendIds(ReadOnlySpan<char> word, List<int> ids)
    {
        if (CountCodePointsExceeds(word, MaxInputCharsPerWord))
        {
            ids.Add(UnknownId);
            return;
        }
        int firstPiece = ids.Count;
        int start = 0;
        while (start < word.Length)
        {
            if (!TryMatchLongestPiece(word, start, out int end, out int id))
            {
                ids.RemoveRange(firstPiece, ids.Count - firstPiece);
                ids.Add(UnknownId);
                return;
            }
            ids.Add(id);
            start = end;
        }
    }

    /// <summary>
    /// Finds the longest vocabulary piece equal to <c>word[start..end]</c>, trying ends from the longest down
    /// (never cutting a surrogate pair). After the first piece, the lookup is of the continuation form "##piece".
    /// </summary>
    private bool TryMatchLongestPiece(ReadOnlySpan<char> word, int start, out int end, out int id)
    {
        end = Math.Min(word.Length, start + longestPieceLength);
        while (end > start)
        {
            var piece = word[start..end];
            bool found = start == 0 ? vocabulary.TryGetId(piece, out id) : continuationIds.TryGetValue(piece, out id);
            if (found) return true;
            end -= end - start >= 2 && char.IsSurrogatePair(word[end - 2], word[end - 1]) ? 2 : 1;
        }
        id = -1;
        return false;
    }

    /// <summary>Maps each continuation piece ("##able") to its id, keyed without the prefix ("able").</summary>
    private static Dictionary<string, int> IndexContinuationPieces(Vocabulary vocabulary, string prefix)
    {
        var continuations = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < vocabulary.Count; id++)
        {
            string token = vocabulary.GetToken(id);
            if (token.Length > prefix.Length && token.StartsWith(prefix, StringComparison.Ordinal))
                continuations[token[prefix.Length..]] = id;
        }
        return continuations;
    }

    private static bool CountCodePointsExceeds(ReadOnlySpan<char> word, int limit)
    {
        if (word.Length <= limit) return false; // a code point is at least one UTF-16 unit
        int codePoints = word.Length;
        for (int i = 0; i + 1 < word.Length; i++)
        {
            if (char.IsSurrogatePair(word[i], word[i + 1]))
            {
                codePoints--;
                i++;
            }
        }
        return codePoints > limit;
    }
}
