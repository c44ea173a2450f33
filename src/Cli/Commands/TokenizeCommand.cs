using System.Buffers;
using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using BiGS.Native.Tasks;
using BiGS.Native.Tokenization;
using TokenEncoding = BiGS.Native.Tokenization.Encoding;

namespace BiGS.Native.Cli.Commands;

/// <summary>
/// <c>bigs tokenize</c>: runs the BERT WordPiece tokenizer on one text (printing tokens and ids, or one JSON object)
/// or on a JSON-lines file of requests (writing one JSON object per request, in order).
/// </summary>
public static class TokenizeCommand
{
    private static readonly JsonWriterOptions OutputJsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The <c>bigs tokenize</c> command, its options bound to their handler, for the root command to add.</summary>
    public static Command Create()
    {
        var vocab = new Option<string?>("--vocab") { Description = "vocab.txt (one token per line, line n = id n) or tokenizer.json, as pretrain --vocab takes" };
        var model = new Option<string?>("--model") { Description = "Model or run directory: its tokenizer.json or vocab.txt, else the built-in bert-base-uncased vocabulary" };
        var pair = new Option<string?>("--pair") { Description = "Second sequence of a text pair" };
        var maxLength = new Option<int?>("--max-length") { Description = "Length limit in tokens, special tokens included" };
        var padding = new Option<string?>("--padding") { Description = "max_length: pad on the right with [PAD] up to --max-length" };
        padding.AcceptOnlyFromAmong("max_length");
        var truncation = new Option<bool>("--truncation") { Description = "Truncate to --max-length (longest_first)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object {input_ids, token_type_ids, attention_mask, tokens}" };
        var jsonl = new Option<string?>("--jsonl")
        {
            Description = "Read requests {text, text_pair, max_length, padding, truncation}, one JSON object a line; "
                + "write one result object a line to stdout (fields left out take the command-line values)",
        };
        var text = new Argument<string?>("text") { Description = "Text to tokenize", Arity = ArgumentArity.ZeroOrOne };

        var command = new Command("tokenize", "Tokenize text with the BERT uncased WordPiece tokenizer (bert-base-uncased vocabulary by default)");
        foreach (var option in new Option[] { vocab, model, pair, maxLength, padding, truncation, json, jsonl })
            command.Options.Add(option);
        command.Arguments.Add(text);
        command.SetAction(parseResult =>
        {
            var defaults = new Request(
                Text: parseResult.GetValue(text),
                TextPair: parseResult.GetValue(pair),
                MaxLength: parseResult.GetValue(maxLength),
                PadToMaxLength: parseResult.GetValue(padding) == "max_length",
                Truncation: parseResult.GetValue(truncation));
            return Run(parseResult.GetValue(vocab), parseResult.GetValue(model), parseResult.GetValue(jsonl), parseResult.GetValue(json), defaults);
        });
        return command;
    }

    /// <summary>One tokenisation request: the text (pair) and the length options.</summary>
    private sealed record Request(string? Text, string? TextPair, int? MaxLength, bool PadToMaxLength, bool Truncation);

    private static int Run(string? vocabPath, string? modelDirectory, string? jsonlPath, bool asJson, Request request)
    {
        try
        {
            var tokenizer = LoadTokenizer(vocabPath, modelDirectory);
            if (jsonlPath is not null)
            {
                if (request.Text is not null)
                    throw new ArgumentException("give either TEXT or --jsonl, not both");
                EncodeJsonLines(tokenizer, jsonlPath, request);
                return 0;
            }
            if (request.Text is null)
                throw new ArgumentException("give the TEXT to tokenize, or --jsonl FILE");
            var encoding = Encode(tokenizer, request);
            WarnIfTooLong(encoding, request);
            Console.Out.WriteLine(asJson ? ToJson(encoding) : ToTable(encoding));
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static BertTokenizer LoadTokenizer(string? vocabPath, string? modelDirectory)
    {
        if (vocabPath is not null && modelDirectory is not null)
            throw new ArgumentException("give either --vocab or --model, not both");
        if (vocabPath is not null)
            return ModelTokenizer.LoadFile(vocabPath);
        if (modelDirectory is not null && !Directory.Exists(modelDirectory))
            throw new DirectoryNotFoundException($"--model directory not found: {modelDirectory}");
        return modelDirectory is null ? BertTokenizer.BertBaseUncased() : ModelTokenizer.Load(ModelPath.Resolve(modelDirectory));
    }

    /// <summary>Says on standard error when the text is longer than --max-length and --truncation was not asked for.</summary>
    private static void WarnIfTooLong(TokenEncoding encoding, Request request)
    {
        if (request.MaxLength is { } limit && !request.Truncation && encoding.InputIds.Length > limit)
            Console.Error.WriteLine($"warning: {encoding.InputIds.Length} tokens, more than --max-length {limit}; add --truncation to cut the text to it");
    }

    private static TokenEncoding Encode(BertTokenizer tokenizer, Request request) =>
        tokenizer.Encode(request.Text!, request.TextPair, request.MaxLength, request.PadToMaxLength, request.Truncation);

    /// <summary>Encodes each non-blank line of <paramref name="path"/>; errors name the file and the line.</summary>
    private static void EncodeJsonLines(BertTokenizer tokenizer, string path, Request defaults)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"JSON-lines file not found: {path}", path);
        ReadOnlySpan<byte> remaining = File.ReadAllBytes(path);
        int lineNumber = 0;
        while (!remaining.IsEmpty)
        {
            lineNumber++;
            int newline = remaining.IndexOf((byte)'\n');
            var line = newline < 0 ? remaining : remaining[..newline];
            remaining = newline < 0 ? [] : remaining[(newline + 1)..];
            if (line.Trim(" \t\r"u8).IsEmpty) continue;
            try
            {
                RequireValidUtf8(line);
                var request = ParseRequest(line, defaults);
                Console.Out.WriteLine(ToJson(Encode(tokenizer, request)));
            }
            catch (Exception e) when (e is JsonException or InvalidDataException or ArgumentException)
            {
                throw new InvalidDataException($"{path} line {lineNumber}: {e.Message}", e);
            }
        }
    }

    private static void RequireValidUtf8(ReadOnlySpan<byte> line)
    {
        var status = Utf8.ToUtf16(line, new char[line.Length], out int bytesRead, out _, replaceInvalidSequences: false);
        if (status == OperationStatus.InvalidData)
            throw new InvalidDataException($"invalid UTF-8 at byte {bytesRead} of the line");
    }

    /// <summary>Reads one request object; a field left out takes its value from <paramref name="defaults"/>.</summary>
    private static Request ParseRequest(ReadOnlySpan<byte> line, Request defaults)
    {
        var reader = new Utf8JsonReader(line);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"expected a JSON object, found {root.ValueKind.ToString().ToLowerInvariant()}");
        return new Request(
            Text: root.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String
                ? text.GetString()
                : throw new InvalidDataException("field 'text' must be a string"),
            TextPair: ReadField(root, "text_pair", JsonValueKind.String, e => e.GetString(), defaults.TextPair),
            MaxLength: ReadField(root, "max_length", JsonValueKind.Number, ReadMaxLength, defaults.MaxLength),
            PadToMaxLength: ReadField(root, "padding", JsonValueKind.String, ReadPadding, defaults.PadToMaxLength),
            Truncation: root.TryGetProperty("truncation", out var truncation)
                ? truncation.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False or JsonValueKind.Null => false,
                    _ => throw new InvalidDataException("field 'truncation' must be true or false"),
                }
                : defaults.Truncation);
    }

    /// <summary>A field that may be absent (default), null (default of the type), or of <paramref name="kind"/>.</summary>
    private static T ReadField<T>(JsonElement root, string name, JsonValueKind kind, Func<JsonElement, T> read, T fallback)
    {
        if (!root.TryGetProperty(name, out var value)) return fallback;
        if (value.ValueKind == JsonValueKind.Null) return default!;
        if (value.ValueKind != kind)
            throw new InvalidDataException($"field '{name}' must be a {kind.ToString().ToLowerInvariant()} or null");
        return read(value);
    }

    private static int? ReadMaxLength(JsonElement maxLength) =>
        maxLength.TryGetInt32(out int value) ? value : throw new InvalidDataException("field 'max_length' must be an integer");

    private static bool ReadPadding(JsonElement padding) =>
        padding.GetString() == "max_length" ? true : throw new InvalidDataException("field 'padding' must be \"max_length\" or null");

    private static string ToJson(TokenEncoding encoding)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, OutputJsonOptions))
        {
            writer.WriteStartObject();
            WriteArray(writer, "input_ids", encoding.InputIds);
            WriteArray(writer, "token_type_ids", encoding.TokenTypeIds);
            WriteArray(writer, "attention_mask", encoding.AttentionMask);
            writer.WriteStartArray("tokens");
            foreach (string token in encoding.Tokens) writer.WriteStringValue(token);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteArray(Utf8JsonWriter writer, string name, int[] values)
    {
        writer.WriteStartArray(name);
        foreach (int value in values) writer.WriteNumberValue(value);
        writer.WriteEndArray();
    }

    /// <summary>One row per position: index, token, id, type id, attention mask.</summary>
    private static string ToTable(TokenEncoding encoding)
    {
        int tokenWidth = Math.Max("token".Length, encoding.Tokens.Max(t => t.Length));
        var table = new System.Text.StringBuilder();
        table.AppendLine($"{"#",5}  {"token".PadRight(tokenWidth)}  {"id",6}  type  mask");
        for (int i = 0; i < encoding.InputIds.Length; i++)
            table.AppendLine($"{i,5}  {encoding.Tokens[i].PadRight(tokenWidth)}  {encoding.InputIds[i],6}  {encoding.TokenTypeIds[i],4}  {encoding.AttentionMask[i],4}");
        table.Append($"{encoding.InputIds.Length} tokens");
        return table.ToString();
    }
}
