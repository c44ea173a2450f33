using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using BiGS.Native.Kernels.Cpu;
using Microsoft.ML.Tokenizers;

namespace BiGS.Native.Tokenization;

/// <summary>
/// The BERT uncased WordPiece tokenizer (as used by the BiGS checkpoints), exact to Hugging Face's. Encoding runs:
/// special tokens found in the raw text → <see cref="BertNormalizer"/> → <see cref="BertPreTokenizer"/> →
/// <see cref="WordPiece"/> → optional <see cref="LongestFirstTruncation"/> → template
/// <c>[CLS] A [SEP]</c> / <c>[CLS] A [SEP] B [SEP]</c> → optional right padding with <c>[PAD]</c>.
/// Instances are immutable and safe to use from several threads at once.
/// </summary>
/// <remarks>
/// A Microsoft.ML.Tokenizers <see cref="Tokenizer"/>, so code written against that API takes it: its
/// <c>EncodeToIds</c>, <c>EncodeToTokens</c> (offsets into the normalised text), <c>CountTokens</c> and
/// <c>Decode</c> give what <see cref="Encode"/> and <see cref="Decode(IReadOnlyList{int}, bool)"/> give. The WordPiece
/// search is the library's (<see cref="WordPiece.Model"/>). The rest is ours, because the library's
/// <c>BertTokenizer</c> differs from Hugging Face's where it matters (58 of the 70 golden cases match): see
/// <see cref="BertNormalizer"/> and <see cref="BertPreTokenizer"/>; it also finds special tokens after lowercasing
/// (so "[mask]" becomes <c>[MASK]</c>, where here special tokens match as written), and it has no tokenizer.json
/// loader, pair truncation or padding.
/// </remarks>
public sealed class BertTokenizer : Tokenizer
{
    /// <summary>Manifest name of the embedded bert-base-uncased <c>vocab.txt</c>.</summary>
    public const string BertBaseUncasedResourceName = "BiGS.Native.Tokenization.bert-base-uncased-vocab.txt";

    /// <summary>The special tokens of BERT, kept whole when written in the text.</summary>
    private static readonly string[] BertSpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    private static readonly Lazy<BertTokenizer> bertBaseUncased = new(LoadBertBaseUncased);

    [ThreadStatic] private static Workspace? threadWorkspace;

    private readonly SpecialTokenMatcher specialTokens;
    private readonly HashSet<int> specialIds;
    private readonly WordPieceDecoder decoder;

    private BertTokenizer(Vocabulary vocabulary, BertNormalizer normalizer, WordPiece wordPiece, IEnumerable<string> specialTokenTexts)
    {
        Vocabulary = vocabulary;
        Normalizer = normalizer;
        WordPiece = wordPiece;
        PadId = RequireId(vocabulary, "[PAD]");
        ClsId = RequireId(vocabulary, "[CLS]");
        SepId = RequireId(vocabulary, "[SEP]");
        MaskId = RequireId(vocabulary, "[MASK]");
        specialTokens = new SpecialTokenMatcher(specialTokenTexts.Distinct().Select(t => (t, RequireId(vocabulary, t))));
        specialIds = [.. specialTokens.Tokens.Select(t => t.Id)];
        decoder = new WordPieceDecoder(wordPiece.ContinuingSubwordPrefix);
    }

    /// <summary>The token-to-id table (ids 0 to Count - 1) that WordPiece searches and ids decode through.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>Hugging Face's BERT normalisation (clean text, CJK spacing, lowercasing, accent stripping), applied before splitting.</summary>
    public override BertNormalizer Normalizer { get; }

    /// <summary>The word splitter applied to normalised text (<see cref="BertPreTokenizer.Instance"/>).</summary>
    public override BertPreTokenizer PreTokenizer => BertPreTokenizer.Instance;

    /// <summary>The word → pieces model.</summary>
    public WordPiece WordPiece { get; }

    /// <summary>Number of tokens in the vocabulary.</summary>
    public int VocabSize => Vocabulary.Count;

    /// <summary>Id of <c>[PAD]</c>, which padding fills in; the vocabulary must hold the token.</summary>
    public int PadId { get; }

    /// <summary>Id of the unknown token <c>[UNK]</c>.</summary>
    public int UnkId => WordPiece.UnknownId;

    /// <summary>Id of <c>[CLS]</c>, put first in every encoding; the vocabulary must hold the token.</summary>
    public int ClsId { get; }

    /// <summary>Id of <c>[SEP]</c>, closing each segment of an encoding; the vocabulary must hold the token.</summary>
    public int SepId { get; }

    /// <summary>Id of <c>[MASK]</c>, matched in text case-sensitively as one token; the vocabulary must hold it.</summary>
    public int MaskId { get; }

    /// <summary>
    /// Loads a <c>vocab.txt</c> (one token per line, line n = id n) with the BERT settings: clean text, CJK
    /// splitting, <c>##</c> continuations, 100-character words, and lowercasing with accent stripping unless
    /// <paramref name="lowercase"/> is false.
    /// </summary>
    public static BertTokenizer FromVocab(string path, bool lowercase = true)
    {
        using var reader = OpenUtf8Text(path, "vocabulary file");
        return FromVocab(reader, path, lowercase);
    }

    /// <summary>Reads a vocabulary as <see cref="FromVocab(string, bool)"/> does; <paramref name="sourceName"/> names it in errors.</summary>
    public static BertTokenizer FromVocab(TextReader reader, string sourceName = "vocabulary", bool lowercase = true)
    {
        Vocabulary vocabulary;
        try
        {
            vocabulary = Vocabulary.ReadLines(reader, sourceName);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{sourceName}: not valid UTF-8: {e.Message}", e);
        }
        return Create(vocabulary, new BertNormalizer(lowercase: lowercase), "[UNK]", "##", 100, BertSpecialTokens, sourceName);
    }

    /// <summary>Loads a Hugging Face <c>tokenizer.json</c> of a BERT WordPiece tokenizer.</summary>
    public static BertTokenizer FromTokenizerJson(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"tokenizer.json not found: {path}", path);
        using var stream = File.OpenRead(path);
        return FromTokenizerJson(stream, path);
    }

    /// <summary>Reads a <c>tokenizer.json</c> from a UTF-8 stream; <paramref name="sourceName"/> names it in errors.</summary>
    public static BertTokenizer FromTokenizerJson(Stream utf8Json, string sourceName = "tokenizer.json") =>
        TokenizerJsonReader.Read(utf8Json, sourceName);

    /// <summary>
    /// Loads the tokenizer of a model directory: its <c>tokenizer.json</c> when present, else its <c>vocab.txt</c>
    /// (with the BERT uncased settings).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">The directory has neither file.</exception>
    public static BertTokenizer FromPretrained(string directory)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"model directory not found: {directory}");
        string tokenizerJson = Path.Combine(directory, "tokenizer.json");
        string vocabTxt = Path.Combine(directory, "vocab.txt");
        if (File.Exists(tokenizerJson)) return FromTokenizerJson(tokenizerJson);
        if (File.Exists(vocabTxt)) return FromVocab(vocabTxt);
        throw new FileNotFoundException($"model directory {directory} has neither tokenizer.json nor vocab.txt");
    }

    /// <summary>The bert-base-uncased (= bert-large-uncased) tokenizer, from the vocabulary embedded in this assembly.</summary>
    public static BertTokenizer BertBaseUncased() => bertBaseUncased.Value;

    /// <summary>Builds a tokenizer; <see cref="InvalidDataException"/>s (missing special tokens …) are prefixed with <paramref name="sourceName"/>.</summary>
    internal static BertTokenizer Create(Vocabulary vocabulary, BertNormalizer normalizer, string unknownToken,
        string continuingSubwordPrefix, int maxInputCharsPerWord, IEnumerable<string> specialTokenTexts, string sourceName)
    {
        try
        {
            var wordPiece = new WordPiece(vocabulary, unknownToken, continuingSubwordPrefix, maxInputCharsPerWord);
            return new BertTokenizer(vocabulary, normalizer, wordPiece, specialTokenTexts);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{sourceName}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Encodes one text, or a pair. <paramref name="maxLength"/> counts special tokens and is required by
    /// <paramref name="truncation"/> (longest_first) and <paramref name="padToMaxLength"/>; it is ignored otherwise.
    /// A sequence longer than <paramref name="maxLength"/> without truncation comes back whole and unpadded.
    /// </summary>
    public Encoding Encode(string text, string? textPair = null, int? maxLength = null, bool padToMaxLength = false, bool truncation = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        int specialCount = textPair is null ? 2 : 3;
        ValidateLengthOptions(maxLength, padToMaxLength, truncation, specialCount);

        var workspace = threadWorkspace ??= new Workspace();
        var first = workspace.FirstIds;
        var second = workspace.SecondIds;
        first.Clear();
        second.Clear();
        AppendPieceIds(text, first, workspace);
        if (textPair is not null)
            AppendPieceIds(textPair, second, workspace);

        var (keptFirst, keptSecond) = (first.Count, second.Count);
        if (truncation)
        {
            int budget = maxLength!.Value - specialCount;
            (keptFirst, keptSecond) = textPair is null
                ? (LongestFirstTruncation.KeptLength(first.Count, budget), 0)
                : LongestFirstTruncation.KeptLengths(first.Count, second.Count, budget);
        }
        int realLength = specialCount + keptFirst + keptSecond;
        int totalLength = padToMaxLength ? Math.Max(realLength, maxLength!.Value) : realLength;
        return ApplyTemplate(CollectionsMarshal.AsSpan(first)[..keptFirst], CollectionsMarshal.AsSpan(second)[..keptSecond],
            hasPair: textPair is not null, totalLength);
    }

    /// <summary>Encodes many texts (and optional pairs, one per text) with the same options, in parallel; results keep the input order.</summary>
    public IReadOnlyList<Encoding> EncodeBatch(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs = null,
        int? maxLength = null, bool padToMaxLength = false, bool truncation = false)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (pairs is not null && pairs.Count != texts.Count)
            throw new ArgumentException($"{texts.Count} texts but {pairs.Count} pairs; give one pair per text", nameof(pairs));
        ValidateLengthOptions(maxLength, padToMaxLength, truncation, pairs is null ? 2 : 3);

        var encodings = new Encoding[texts.Count];
        CpuParallel.ForBlocks(texts.Count, minPerBlock: 64, (begin, end) =>
        {
            for (int i = begin; i < end; i++)
                encodings[i] = Encode(texts[i], pairs?[i], maxLength, padToMaxLength, truncation);
        });
        return encodings;
    }

    /// <summary>
    /// Turns ids back into text: pieces joined, spaces before punctuation and in contractions removed,
    /// special tokens dropped when <paramref name="skipSpecialTokens"/> is true. The text is the normalised
    /// (lowercased, accent-free) form.
    /// </summary>
    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = false) =>
        decoder.Decode(ConvertIdsToTokens(ids).Where((_, i) => !(skipSpecialTokens && specialIds.Contains(ids[i]))));

    /// <summary>Decodes as <see cref="Decode(IReadOnlyList{int}, bool)"/> does, keeping special tokens.</summary>
    public override string Decode(IEnumerable<int> ids) => Decode([.. ids]);

    /// <summary>
    /// Writes <see cref="Decode(IEnumerable{int})"/>'s text into <paramref name="destination"/> when it fits whole;
    /// otherwise writes nothing and returns <see cref="OperationStatus.DestinationTooSmall"/>.
    /// </summary>
    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        int[] all = [.. ids];
        string text = Decode(all);
        bool fits = text.AsSpan().TryCopyTo(destination);
        (idsConsumed, charsWritten) = fits ? (all.Length, text.Length) : (0, 0);
        return fits ? OperationStatus.Done : OperationStatus.DestinationTooSmall;
    }

    /// <summary>
    /// The Microsoft.ML.Tokenizers encoding: <c>[CLS]</c>, the pieces, <c>[SEP]</c>, at most
    /// <see cref="EncodeSettings.MaxTokenCount"/> of them, each with its offsets into the normalised text (returned
    /// as <see cref="EncodeResults{T}.NormalizedText"/>: each stretch between special tokens normalised, special
    /// tokens as written). <c>[CLS]</c> and <c>[SEP]</c> take no characters. Turning normalisation or
    /// pre-tokenisation off in the settings skips that step.
    /// </summary>
    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var sink = new TokenSink();
        sink.Tokens.Add(new EncodedToken(ClsId, Vocabulary.GetToken(ClsId), new Range(0, 0)));
        ReadOnlySpan<char> input = text is null ? textSpan : text.AsSpan();
        int segmentStart = 0;
        while (specialTokens.TryFindNext(input, segmentStart, out int start, out int length, out int id))
        {
            AppendOrdinaryTextTokens(input[segmentStart..start], sink, settings);
            int offset = sink.Text.Length;
            sink.Text.Append(input.Slice(start, length));
            sink.Tokens.Add(new EncodedToken(id, Vocabulary.GetToken(id), new Range(offset, offset + length)));
            segmentStart = start + length;
        }
        AppendOrdinaryTextTokens(input[segmentStart..], sink, settings);
        int end = sink.Text.Length;
        sink.Tokens.Add(new EncodedToken(SepId, Vocabulary.GetToken(SepId), new Range(end, end)));

        var kept = sink.Tokens.Count > settings.MaxTokenCount ? sink.Tokens[..settings.MaxTokenCount] : sink.Tokens;
        return new EncodeResults<EncodedToken>
        {
            Tokens = kept,
            NormalizedText = settings.ConsiderNormalization ? sink.Text.ToString() : null,
            CharsConsumed = kept.Count == 0 ? 0 : kept[^1].Offset.End.GetOffset(end),
        };
    }

    /// <summary>The vocabulary string of each id; throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid id.</summary>
    public string[] ConvertIdsToTokens(IReadOnlyList<int> ids)
    {
        var tokens = new string[ids.Count];
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)ids[i] >= (uint)VocabSize)
                throw new ArgumentOutOfRangeException(nameof(ids), ids[i], $"ids[{i}] = {ids[i]} is not a token id (vocabulary size {VocabSize})");
            tokens[i] = Vocabulary.GetToken(ids[i]);
        }
        return tokens;
    }

    /// <summary>The id of <paramref name="token"/> (exact, case-sensitive), or null when it is not in the vocabulary.</summary>
    public int? TokenToId(string token) => Vocabulary.TryGetId(token, out int id) ? id : null;

    /// <summary>Appends the WordPiece ids of <paramref name="text"/>: special tokens as written, everything between them normalised and split.</summary>
    private void AppendPieceIds(string text, List<int> ids, Workspace workspace)
    {
        int segmentStart = 0;
        while (specialTokens.TryFindNext(text, segmentStart, out int start, out int length, out int id))
        {
            AppendOrdinaryTextIds(text.AsSpan(segmentStart, start - segmentStart), ids, workspace);
            ids.Add(id);
            segmentStart = start + length;
        }
        AppendOrdinaryTextIds(text.AsSpan(segmentStart), ids, workspace);
    }

    private void AppendOrdinaryTextIds(ReadOnlySpan<char> text, List<int> ids, Workspace workspace)
    {
        if (text.IsEmpty) return;
        Normalizer.Normalize(text, workspace.Normalized, workspace.Scratch);
        ReadOnlySpan<char> normalized = workspace.Normalized.Span;
        workspace.Words.Clear();
        BertPreTokenizer.Split(normalized, workspace.Words);
        foreach (var (start, length) in workspace.Words)
            WordPiece.AppendIds(normalized.Slice(start, length), ids);
    }

    /// <summary>Adds the pieces of a stretch without special tokens, and its normalised text, to <paramref name="sink"/>.</summary>
    private void AppendOrdinaryTextTokens(ReadOnlySpan<char> text, TokenSink sink, EncodeSettings settings)
    {
        string normalized = settings.ConsiderNormalization ? Normalizer.Normalize(text) : text.ToString();
        int offset = sink.Text.Length;
        sink.Text.Append(normalized);
        if (normalized.Length == 0) return;
        IEnumerable<(int Offset, int Length)> words = settings.ConsiderPreTokenization ? PreTokenizer.PreTokenize(normalized) : [(0, normalized.Length)];
        foreach (var (start, length) in words)
            WordPiece.AppendTokens(normalized.AsSpan(start, length), offset + start, sink.Tokens);
    }

    /// <summary>Lays out <c>[CLS] A [SEP]</c> (type 0) and, for a pair, <c>B [SEP]</c> (type 1), then <c>[PAD]</c> (type 0, mask 0) up to <paramref name="totalLength"/>.</summary>
    private Encoding ApplyTemplate(ReadOnlySpan<int> first, ReadOnlySpan<int> second, bool hasPair, int totalLength)
    {
        var ids = new int[totalLength];
        var typeIds = new int[totalLength];
        var mask = new int[totalLength];
        int position = 0;

        void Add(int id, int typeId)
        {
            ids[position] = id;
            typeIds[position] = typeId;
            mask[position] = 1;
            position++;
        }

        Add(ClsId, 0);
        foreach (int id in first) Add(id, 0);
        Add(SepId, 0);
        if (hasPair)
        {
            foreach (int id in second) Add(id, 1);
            Add(SepId, 1);
        }
        ids.AsSpan(position).Fill(PadId); // type id and mask of padding stay 0

        var tokens = new string[totalLength];
        for (int i = 0; i < totalLength; i++)
            tokens[i] = Vocabulary.GetToken(ids[i]);
        return new Encoding(ids, typeIds, mask, tokens);
    }

    private static void ValidateLengthOptions(int? maxLength, bool padToMaxLength, bool truncation, int specialCount)
    {
        if ((padToMaxLength || truncation) && maxLength is null)
            throw new ArgumentException("padding to max length and truncation need maxLength", nameof(maxLength));
        if (truncation && maxLength < specialCount)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength,
                $"with truncation, maxLength must leave room for the {specialCount} special tokens");
    }

    private static int RequireId(Vocabulary vocabulary, string token) =>
        vocabulary.TryGetId(token, out int id) ? id : throw new InvalidDataException($"the vocabulary has no '{token}' token");

    private static StreamReader OpenUtf8Text(string path, string what)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{what} not found: {path}", path);
        return new StreamReader(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
    }

    private static BertTokenizer LoadBertBaseUncased()
    {
        using var stream = typeof(BertTokenizer).Assembly.GetManifestResourceStream(BertBaseUncasedResourceName)
            ?? throw new InvalidOperationException($"embedded resource '{BertBaseUncasedResourceName}' is missing from {typeof(BertTokenizer).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
        return FromVocab(reader, "embedded bert-base-uncased vocab.txt");
    }

    /// <summary>What <see cref="EncodeToTokens"/> builds: the pieces with offsets, and the text those offsets refer to.</summary>
    private sealed class TokenSink
    {
        public List<EncodedToken> Tokens { get; } = [];
        public StringBuilder Text { get; } = new();
    }

    /// <summary>Per-thread reusable buffers, so encoding allocates only its result arrays.</summary>
    private sealed class Workspace
    {
        public CharBuffer Normalized { get; } = new();
        public CharBuffer Scratch { get; } = new();
        public List<(int Start, int Length)> Words { get; } = [];
        public List<int> FirstIds { get; } = [];
        public List<int> SecondIds { get; } = [];
    }
}
