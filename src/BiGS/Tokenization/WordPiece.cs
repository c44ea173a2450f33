using System.Collections.Concurrent;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace BiGS.Native.Tokenization;

/// <summary>
/// The WordPiece model: splits one word into vocabulary pieces, greedily taking the longest piece that
/// matches at each position ("unaffable" gives "un", "##aff", "##able"). Pieces after the first carry the
/// continuing-subword prefix (<c>##</c>). If some part of the word matches no piece, or the word has more
/// than <see cref="MaxInputCharsPerWord"/> code points, the whole word becomes the unknown token.
/// </summary>
/// <remarks>
/// The longest-match search is Microsoft.ML.Tokenizers' <see cref="WordPieceTokenizer"/> (<see cref="Model"/>),
/// which is Hugging Face's algorithm. The word-length limit is checked here instead: Hugging Face counts a word's
/// characters (code points), the library its UTF-16 units, so there a word of 60 emoji (120 units) would become
/// the unknown token although it is within the limit of 100. The library is given twice our limit, which no word
/// within ours can exceed. (Its search also tries pieces that end inside a surrogate pair; those are never
/// vocabulary entries, so the result is the same as Hugging Face's.)
/// </remarks>
public sealed class WordPiece
{
    /// <summary>Most distinct split words whose pieces are remembered (about 100 bytes each).</summary>
    private const int SplitCacheCapacity = 1 << 16;

    private readonly Vocabulary vocabulary;
    private readonly ConcurrentDictionary<string, int[]> splitCache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> splitWords;

    /// <summary>Creates the model; throws <see cref="InvalidDataException"/> if <paramref name="unknownToken"/> is not in the vocabulary.</summary>
    public WordPiece(Vocabulary vocabulary, string unknownToken = "[UNK]", string continuingSubwordPrefix = "##", int maxInputCharsPerWord = 100)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxInputCharsPerWord);
        this.vocabulary = vocabulary;
        splitWords = splitCache.GetAlternateLookup<ReadOnlySpan<char>>();
        UnknownId = vocabulary.TryGetId(unknownToken, out int unknownId)
            ? unknownId
            : throw new InvalidDataException($"the vocabulary has no unknown token '{unknownToken}'");
        ContinuingSubwordPrefix = continuingSubwordPrefix;
        MaxInputCharsPerWord = maxInputCharsPerWord;
        using var lines = VocabularyLines(vocabulary);
        Model = WordPieceTokenizer.Create(lines, new WordPieceOptions
        {
            UnknownToken = unknownToken,
            ContinuingSubwordPrefix = continuingSubwordPrefix,
            MaxInputCharsPerWord = Math.Max(1, 2 * maxInputCharsPerWord),
        });
    }

    /// <summary>Id of the token a word becomes when it cannot be split.</summary>
    public int UnknownId { get; }

    /// <summary>The prefix marking a piece that continues a word (<c>##</c>).</summary>
    public string ContinuingSubwordPrefix { get; }

    /// <summary>Longest word, in Unicode code points, that is split; longer words become the unknown token.</summary>
    public int MaxInputCharsPerWord { get; }

    /// <summary>
    /// The library's WordPiece tokenizer doing the longest-match search, over the same vocabulary. Used alone it
    /// splits on whitespace only and limits words by UTF-16 length (twice <see cref="MaxInputCharsPerWord"/>).
    /// </summary>
    public WordPieceTokenizer Model { get; }

    /// <summary>Returns the piece ids of one word.</summary>
    public IReadOnlyList<int> Tokenize(string word)
    {
        var ids = new List<int>();
        AppendIds(word, ids);
        return ids;
    }

    /// <summary>Appends the piece ids of one word to <paramref name="ids"/>.</summary>
    /// <remarks>
    /// A word that is itself in the vocabulary is its own only piece (the first match the search tries), so it is
    /// looked up directly; the pieces of other words are the library's, remembered per word
    /// (<see cref="PiecesOfSplitWord"/>).
    /// </remarks>
    internal void AppendIds(ReadOnlySpan<char> word, List<int> ids)
    {
        if (CountCodePointsExceeds(word, MaxInputCharsPerWord))
            ids.Add(UnknownId);
        else if (vocabulary.TryGetId(word, out int wholeWord))
            ids.Add(wholeWord);
        else
            ids.AddRange(PiecesOfSplitWord(word));
    }

    /// <summary>
    /// The library's pieces of a word that is not a vocabulary entry. A call into the library costs about a
    /// microsecond (a list and a result object per call, a search from the whole word down), which made encoding a
    /// fifth slower than our own search did; words recur, so the first <see cref="SplitCacheCapacity"/> distinct
    /// words keep their pieces.
    /// </summary>
    private int[] PiecesOfSplitWord(ReadOnlySpan<char> word)
    {
        if (splitWords.TryGetValue(word, out var pieces)) return pieces;
        pieces = [.. Model.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false)];
        if (splitCache.Count < SplitCacheCapacity) splitWords.TryAdd(word, pieces);
        return pieces;
    }
    /// <summary>
    /// Appends the pieces of one word with their offsets, shifted by <paramref name="offset"/> (the word's position
    /// in the text the offsets refer to).
    /// </summary>
    internal void AppendTokens(ReadOnlySpan<char> word, int offset, List<EncodedToken> tokens)
    {
        if (CountCodePointsExceeds(word, MaxInputCharsPerWord))
        {
            tokens.Add(new EncodedToken(UnknownId, Model.UnknownToken, new Range(offset, offset + word.Length)));
            return;
        }
        foreach (var piece in Model.EncodeToTokens(word, out _, considerPreTokenization: false, considerNormalization: false))
            tokens.Add(new EncodedToken(piece.Id, piece.Value,
                new Range(offset + piece.Offset.Start.GetOffset(word.Length), offset + piece.Offset.End.GetOffset(word.Length))));
    }

    /// <summary>The vocabulary as the library reads it: a UTF-8 vocab.txt, line n holding the token of id n.</summary>
    private static MemoryStream VocabularyLines(Vocabulary vocabulary)
    {
        var text = new StringBuilder();
        for (int id = 0; id < vocabulary.Count; id++)
        {
            string token = vocabulary.GetToken(id);
            if (token.AsSpan().IndexOfAny('\n', '\r') >= 0)
                throw new InvalidDataException($"token {id} contains a line break, which a WordPiece vocabulary cannot hold");
            text.Append(token).Append('\n');
        }
        return new MemoryStream(new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text.ToString()));
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
