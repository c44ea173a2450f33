namespace BiGS.Native.Tokenization;

/// <summary>
/// The token ↔ id table of a WordPiece model. Ids are dense: 0 … <see cref="Count"/> − 1.
/// Lookups accept a span, so the tokenizer never allocates a string to look up a piece.
/// </summary>
public sealed class Vocabulary
{
    private readonly string[] tokens;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> idsBySpan;

    private Vocabulary(string[] tokens, Dictionary<string, int> ids)
    {
        this.tokens = tokens;
        idsBySpan = ids.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Number of tokens; ids run from 0 to Count - 1.</summary>
    public int Count => tokens.Length;

    /// <summary>The tokens in id order.</summary>
    public IReadOnlyList<string> Tokens => Array.AsReadOnly(tokens);

    /// <summary>The token string of <paramref name="id"/>.</summary>
    public string GetToken(int id) =>
        (uint)id < (uint)tokens.Length
            ? tokens[id]
            : throw new ArgumentOutOfRangeException(nameof(id), id, $"token id must be in [0, {tokens.Length})");

    /// <summary>Looks a token up by its exact (case-sensitive) text.</summary>
    public bool TryGetId(ReadOnlySpan<char> token, out int id) => idsBySpan.TryGetValue(token, out id);

    /// <summary>
    /// Reads a <c>vocab.txt</c>: one token per line, line n (counting from 0) being id n.
    /// Throws <see cref="InvalidDataException"/> naming the line for an empty file, an empty line or a duplicate token.
    /// </summary>
    public static Vocabulary ReadLines(TextReader reader, string sourceName)
    {
        var tokens = new List<string>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            int lineNumber = tokens.Count + 1;
            if (line.Length == 0)
                throw new InvalidDataException($"{sourceName}: line {lineNumber} is empty (every line must hold one token)");
            if (!ids.TryAdd(line, tokens.Count))
                throw new InvalidDataException(
                    $"{sourceName}: line {lineNumber}: duplicate token '{line}' (first seen on line {ids[line] + 1})");
            tokens.Add(line);
        }
        if (tokens.Count == 0)
            throw new InvalidDataException($"{sourceName}: the vocabulary is empty");
        return new Vocabulary(tokens.ToArray(), ids);
    }

    /// <summary>
    /// Builds a vocabulary from (token, id) pairs that must cover every id from 0 up exactly once.
    /// <paramref name="fieldName"/> names where the pairs came from in error messages.
    /// </summary>
    public static Vocabulary FromPairs(IEnumerable<(string Token, int Id)> pairs, string sourceName, string fieldName)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var tokensById = new Dictionary<int, string>();
        foreach (var (token, id) in pairs)
        {
            if (id < 0)
                throw new InvalidDataException($"{sourceName}: {fieldName}: token '{token}' has negative id {id}");
            if (!ids.TryAdd(token, id))
                throw new InvalidDataException($"{sourceName}: {fieldName}: duplicate token '{token}' (ids {ids[token]} and {id})");
            if (!tokensById.TryAdd(id, token))
                throw new InvalidDataException($"{sourceName}: {fieldName}: id {id} is given to both '{tokensById[id]}' and '{token}'");
        }
        if (ids.Count == 0)
            throw new InvalidDataException($"{sourceName}: {fieldName}: the vocabulary is empty");
        var tokens = new string[ids.Count];
        for (int id = 0; id < tokens.Length; id++)
            tokens[id] = tokensById.TryGetValue(id, out var token)
                ? token
                : throw new InvalidDataException($"{sourceName}: {fieldName}: ids must be 0..{tokens.Length - 1} without gaps, but id {id} is missing");
        return new Vocabulary(tokens, ids);
    }
}
