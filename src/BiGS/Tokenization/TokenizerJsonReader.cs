using System.Text.Json;

namespace BiGS.Native.Tokenization;

/// <summary>
/// Reads a Hugging Face <c>tokenizer.json</c> describing a BERT WordPiece tokenizer: <c>model</c> (WordPiece vocab,
/// unk token, continuation prefix, word length limit), <c>normalizer</c> (BertNormalizer flags),
/// <c>pre_tokenizer</c> (BertPreTokenizer) and <c>added_tokens</c> (kept whole in raw text).
/// Errors name the file and the JSON field at fault.
/// </summary>
internal static class TokenizerJsonReader
{
    public static BertTokenizer Read(Stream utf8Json, string sourceName)
    {
        using var document = ParseDocument(utf8Json, sourceName);
        var fields = new FieldReader(sourceName);
        var root = document.RootElement;
        fields.RequireKind(root, "(root)", JsonValueKind.Object);

        var model = fields.Required(root, "model", "model", JsonValueKind.Object);
        if (fields.OptionalString(model, "type", "model.type") is { } modelType && modelType != "WordPiece")
            throw fields.Error("model.type", $"is '{modelType}', but only 'WordPiece' is supported");
        string unknownToken = fields.OptionalString(model, "unk_token", "model.unk_token") ?? "[UNK]";
        string prefix = fields.OptionalString(model, "continuing_subword_prefix", "model.continuing_subword_prefix") ?? "##";
        int maxInputChars = fields.OptionalInt(model, "max_input_chars_per_word", "model.max_input_chars_per_word") ?? 100;

        var normalizer = ReadNormalizer(root, fields);
        var preTokenizer = fields.Required(root, "pre_tokenizer", "pre_tokenizer", JsonValueKind.Object);
        if (fields.OptionalString(preTokenizer, "type", "pre_tokenizer.type") != "BertPreTokenizer")
            throw fields.Error("pre_tokenizer.type", "must be 'BertPreTokenizer'");

        var vocabPairs = ReadVocabPairs(fields.Required(model, "vocab", "model.vocab", JsonValueKind.Object), fields);
        var addedTokens = ReadAddedTokens(root, fields, vocabPairs);
        var vocabulary = Vocabulary.FromPairs(vocabPairs, sourceName, "model.vocab + added_tokens");
        return BertTokenizer.Create(vocabulary, normalizer, unknownToken, prefix, maxInputChars, addedTokens, sourceName);
    }

    private static JsonDocument ParseDocument(Stream utf8Json, string sourceName)
    {
        try
        {
            return JsonDocument.Parse(utf8Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{sourceName}: not valid JSON: {e.Message}", e);
        }
    }

    private static BertNormalizer ReadNormalizer(JsonElement root, FieldReader fields)
    {
        var normalizer = fields.Required(root, "normalizer", "normalizer", JsonValueKind.Object);
        if (fields.OptionalString(normalizer, "type", "normalizer.type") != "BertNormalizer")
            throw fields.Error("normalizer.type", "must be 'BertNormalizer'");
        return new BertNormalizer(
            cleanText: fields.OptionalBool(normalizer, "clean_text", "normalizer.clean_text") ?? true,
            handleChineseChars: fields.OptionalBool(normalizer, "handle_chinese_chars", "normalizer.handle_chinese_chars") ?? true,
            stripAccents: fields.OptionalBool(normalizer, "strip_accents", "normalizer.strip_accents"),
            lowercase: fields.OptionalBool(normalizer, "lowercase", "normalizer.lowercase") ?? true);
    }

    private static List<(string Token, int Id)> ReadVocabPairs(JsonElement vocab, FieldReader fields)
    {
        var pairs = new List<(string Token, int Id)>();
        foreach (var entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id))
                throw fields.Error($"model.vocab[\"{entry.Name}\"]", "must be an integer id");
            pairs.Add((entry.Name, id));
        }
        return pairs;
    }

    /// <summary>
    /// Reads <c>added_tokens</c>: each must agree with <c>model.vocab</c> on its id, or extend it with a new id.
    /// New pairs are appended to <paramref name="vocabPairs"/>. Returns the tokens' texts.
    /// </summary>
    private static List<string> ReadAddedTokens(JsonElement root, FieldReader fields, List<(string Token, int Id)> vocabPairs)
    {
        var texts = new List<string>();
        if (!root.TryGetProperty("added_tokens", out var addedTokens) || addedTokens.ValueKind == JsonValueKind.Null)
            return texts;
        fields.RequireKind(addedTokens, "added_tokens", JsonValueKind.Array);
        var vocabIds = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, id) in vocabPairs)
            vocabIds.TryAdd(token, id);

        int index = 0;
        foreach (var added in addedTokens.EnumerateArray())
        {
            string path = $"added_tokens[{index++}]";
            fields.RequireKind(added, path, JsonValueKind.Object);
            string content = fields.Required(added, "content", path + ".content", JsonValueKind.String).GetString()!;
            int id = fields.OptionalInt(added, "id", path + ".id") ?? throw fields.Error(path + ".id", "is missing");
            foreach (string flag in (string[])["lstrip", "rstrip", "single_word", "normalized"])
                if (fields.OptionalBool(added, flag, $"{path}.{flag}") == true)
                    throw fields.Error($"{path}.{flag}", "is true, which is not supported (added tokens are matched exactly in raw text)");

            if (vocabIds.TryGetValue(content, out int vocabId))
            {
                if (vocabId != id)
                    throw fields.Error(path + ".id", $"is {id}, but model.vocab gives '{content}' id {vocabId}");
            }
            else
            {
                vocabPairs.Add((content, id));
                vocabIds.Add(content, id);
            }
            texts.Add(content);
        }
        return texts;
    }

    /// <summary>Typed access to JSON fields, with errors naming the file and the field path.</summary>
    private sealed class FieldReader(string sourceName)
    {
        public InvalidDataException Error(string path, string problem) =>
            new($"{sourceName}: field '{path}' {problem}");

        public void RequireKind(JsonElement element, string path, JsonValueKind kind)
        {
            if (element.ValueKind != kind)
                throw Error(path, $"must be a JSON {kind.ToString().ToLowerInvariant()}, not {element.ValueKind.ToString().ToLowerInvariant()}");
        }

        public JsonElement Required(JsonElement parent, string name, string path, JsonValueKind kind)
        {
            if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
                throw Error(path, "is missing");
            RequireKind(value, path, kind);
            return value;
        }

        public string? OptionalString(JsonElement parent, string name, string path) =>
            Optional(parent, name, path, JsonValueKind.String)?.GetString();

        public bool? OptionalBool(JsonElement parent, string name, string path)
        {
            if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
                return null;
            return value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Error(path, $"must be true, false or null, not {value.ValueKind.ToString().ToLowerInvariant()}"),
            };
        }

        public int? OptionalInt(JsonElement parent, string name, string path)
        {
            if (Optional(parent, name, path, JsonValueKind.Number) is not { } value) return null;
            return value.TryGetInt32(out int number) ? number : throw Error(path, "must be a 32-bit integer");
        }

        private JsonElement? Optional(JsonElement parent, string name, string path, JsonValueKind kind)
        {
            if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
                return null;
            RequireKind(value, path, kind);
            return value;
        }
    }
}
