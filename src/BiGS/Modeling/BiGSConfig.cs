using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BiGS.Native.Modeling;

/// <summary>
/// Hyper-parameters of a BiGS model, read from and written to a Hugging Face style <c>config.json</c>
/// (<c>model_type: "BiGS"</c>). Missing fields take the defaults below; unknown fields are kept and written back.
/// </summary>
public sealed class BiGSConfig
{
    private readonly JsonObject extra = new();

    /// <summary>WordPiece vocabulary size.</summary>
    public int VocabSize { get; set; } = 30522;

    /// <summary>Model width d: the length of each token's vector between layers (default 768).</summary>
    public int HiddenSize { get; set; } = 768;

    /// <summary>Number of BiGS layers stacked in the encoder (default 24).</summary>
    public int NumHiddenLayers { get; set; } = 24;

    /// <summary>Width I of the gate branch.</summary>
    public int IntermediateSize { get; set; } = 3072;

    /// <summary>Activation of the MLM head transform: "gelu" (erf), "gelu_new"/"gelu_pytorch_tanh" (tanh) or "relu".</summary>
    public string HiddenAct { get; set; } = "gelu";

    /// <summary>Dropout after the embeddings and before classifier heads.</summary>
    public float HiddenDropoutProb { get; set; } = 0.1f;

    /// <summary>Overrides <see cref="HiddenDropoutProb"/> for the sequence classifier when set.</summary>
    public float? ClassifierDropout { get; set; }

    /// <summary>Learned absolute positions; also the longest sequence the model accepts.</summary>
    public int MaxPositionEmbeddings { get; set; } = 512;

    /// <summary>Number of segment (token type) embeddings.</summary>
    public int TypeVocabSize { get; set; } = 2;

    /// <summary>Standard deviation of the normal initialisation of Dense kernels and embeddings.</summary>
    public float InitializerRange { get; set; } = 0.02f;

    /// <summary>Epsilon added to the variance in every LayerNorm (1e-12 as in BERT).</summary>
    public float LayerNormEps { get; set; } = 1e-12f;

    /// <summary>Id of the padding token.</summary>
    public int PadTokenId { get; set; }

    /// <summary>State size N of each S4D SSM.</summary>
    public int NumSsm { get; set; } = 64;

    /// <summary>Pre-LayerNorm residual blocks (false: post-LayerNorm).</summary>
    public bool PreNorm { get; set; } = true;

    /// <summary>SSM initialisation of A: "hippo", "lin" or "inv".</summary>
    public string Scaling { get; set; } = "hippo";

    /// <summary>Pooling before pooled heads: "non_padding_mean" or "mean".</summary>
    public string PoolerType { get; set; } = "non_padding_mean";

    /// <summary>The MLM decoder reuses the word embedding matrix.</summary>
    public bool TieWordEmbeddings { get; set; } = true;

    /// <summary>Number of labels of classification heads.</summary>
    public int NumLabels { get; set; } = 2;

    /// <summary>"regression", "single_label_classification", "multi_label_classification" or null (inferred).</summary>
    public string? ProblemType { get; set; }

    /// <summary>Label names by class id, saved as id2label (and label2id) in config.json; reading it raises NumLabels to its size.</summary>
    public Dictionary<int, string> Id2Label { get; set; } = new() { [0] = "LABEL_0", [1] = "LABEL_1" };

    /// <summary>Architectures the checkpoint was saved from (e.g. "BiGSForMaskedLM").</summary>
    public List<string> Architectures { get; set; } = [];

    /// <summary>Fields this class does not model, kept verbatim.</summary>
    public IReadOnlyDictionary<string, JsonNode?> ExtraFields => extra.ToDictionary(p => p.Key, p => p.Value);

    /// <summary>Reads <c>config.json</c> from a directory or a file path.</summary>
    public static BiGSConfig Load(string pathOrDirectory)
    {
        string path = Directory.Exists(pathOrDirectory) ? Path.Combine(pathOrDirectory, "config.json") : pathOrDirectory;
        if (!File.Exists(path)) throw new FileNotFoundException($"config not found: {path}", path);
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (Exception e) when (e is JsonException or ConfigException)
        {
            throw new ConfigException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Parses config JSON text and validates it.</summary>
    public static BiGSConfig Parse(string json)
    {
        var root = JsonNode.Parse(json) as JsonObject ?? throw new ConfigException("config must be a JSON object");
        var config = new BiGSConfig();
        foreach (var (key, node) in root)
            if (!config.TryReadField(key, node))
                config.extra[key] = node?.DeepClone();
        config.Validate();
        return config;
    }

    /// <summary>Checks ranges and enumerations; the error names the field and what is allowed.</summary>
    public void Validate()
    {
        RequirePositive("vocab_size", VocabSize);
        RequirePositive("hidden_size", HiddenSize);
        RequirePositive("num_hidden_layers", NumHiddenLayers);
        RequirePositive("intermediate_size", IntermediateSize);
        RequirePositive("max_position_embeddings", MaxPositionEmbeddings);
        RequirePositive("type_vocab_size", TypeVocabSize);
        RequirePositive("num_ssm", NumSsm);
        RequirePositive("num_labels", NumLabels);
        RequireProbability("hidden_dropout_prob", HiddenDropoutProb);
        if (ClassifierDropout is { } p) RequireProbability("classifier_dropout", p);
        if (LayerNormEps <= 0) throw new ConfigException($"layer_norm_eps must be > 0, got {LayerNormEps}");
        RequireOneOf("hidden_act", HiddenAct, "gelu", "gelu_new", "gelu_pytorch_tanh", "relu");
        RequireOneOf("scaling", Scaling, "hippo", "lin", "inv");
        RequireOneOf("pooler_type", PoolerType, "non_padding_mean", "mean");
        if (ProblemType != null)
            RequireOneOf("problem_type", ProblemType, "regression", "single_label_classification", "multi_label_classification");
        RequireSizesFit(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
    }

    /// <summary>The largest element count of one tensor (lengths and offsets are 32-bit).</summary>
    public const long MaxTensorElements = int.MaxValue;

    /// <summary>
    /// Parameters of the base model with its pooler (<see cref="BiGSModel"/>), counted in 64 bits: embeddings
    /// (V + P + T) d + 2d; per layer a LayerNorm 2d, two S4D SSMs of 4N + 2 each, four d x d maps with biases and
    /// three d x I maps (2 dI + 2I + Id + d); the pooler d^2 + d.
    /// </summary>
    public long ParameterCount()
    {
        long d = HiddenSize, inner = IntermediateSize, n = NumSsm;
        long embeddings = ((long)VocabSize + MaxPositionEmbeddings + TypeVocabSize) * d + 2 * d;
        long layer = 2 * d + 2 * (4 * n + 2) + 4 * (d * d + d) + 3 * d * inner + 2 * inner + d;
        return embeddings + NumHiddenLayers * layer + d * d + d;
    }

    /// <summary>
    /// Refuses sizes that cannot work before anything is allocated: a weight matrix or the activation of one
    /// sequence at max_position_embeddings over <see cref="MaxTensorElements"/>, or float32 weights, gradients and
    /// AdamW moments (16 bytes a parameter) over <paramref name="memoryBytes"/>. The message names the fields.
    /// </summary>
    internal void RequireSizesFit(long memoryBytes)
    {
        RequireElements("vocab_size x hidden_size (word embeddings)", (long)VocabSize * HiddenSize);
        RequireElements("max_position_embeddings x hidden_size (position embeddings)", (long)MaxPositionEmbeddings * HiddenSize);
        RequireElements("type_vocab_size x hidden_size (token type embeddings)", (long)TypeVocabSize * HiddenSize);
        RequireElements("hidden_size x intermediate_size (a layer's dv, dol, do)", (long)HiddenSize * IntermediateSize);
        RequireElements("num_labels x hidden_size (classifier)", (long)NumLabels * HiddenSize);
        RequireElements("max_position_embeddings x vocab_size (the MLM logits of one sequence)", (long)MaxPositionEmbeddings * VocabSize);
        RequireElements("max_position_embeddings x intermediate_size (a layer's activation for one sequence)", (long)MaxPositionEmbeddings * IntermediateSize);
        RequireElements("4 x max_position_embeddings (the longest FFT of the SSM convolution)", 4L * MaxPositionEmbeddings);
        long parameters = ParameterCount();
        if (parameters > memoryBytes / 16)
            throw new ConfigException(string.Create(CultureInfo.InvariantCulture,
                $"the model would have {parameters:N0} parameters (num_hidden_layers {NumHiddenLayers}, hidden_size {HiddenSize}, intermediate_size {IntermediateSize}, vocab_size {VocabSize}); training needs {16.0 * parameters / (1L << 30):N1} GiB for them, more than the {(double)memoryBytes / (1L << 30):N1} GiB of memory available"));
    }

    private static void RequireElements(string what, long elements)
    {
        if (elements > MaxTensorElements)
            throw new ConfigException(string.Create(CultureInfo.InvariantCulture,
                $"{what} = {elements:N0} elements, more than a tensor can hold ({MaxTensorElements:N0})"));
    }

    /// <summary>Writes <c>config.json</c> into a directory (atomically: temp file, then rename).</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        AtomicFile.WriteAllText(Path.Combine(directory, "config.json"), ToJson());
    }

    /// <summary>The config as indented JSON, known fields first, then the preserved unknown ones.</summary>
    public string ToJson()
    {
        var o = new JsonObject
        {
            ["model_type"] = "BiGS",
            ["architectures"] = new JsonArray(Architectures.Select(a => (JsonNode?)a).ToArray()),
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["intermediate_size"] = IntermediateSize,
            ["hidden_act"] = HiddenAct,
            ["hidden_dropout_prob"] = HiddenDropoutProb,
            ["classifier_dropout"] = ClassifierDropout,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["type_vocab_size"] = TypeVocabSize,
            ["initializer_range"] = InitializerRange,
            ["layer_norm_eps"] = LayerNormEps,
            ["pad_token_id"] = PadTokenId,
            ["num_ssm"] = NumSsm,
            ["pre_norm"] = PreNorm,
            ["scaling"] = Scaling,
            ["pooler_type"] = PoolerType,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["num_labels"] = NumLabels,
            ["problem_type"] = ProblemType,
            ["id2label"] = new JsonObject(Id2Label.OrderBy(p => p.Key).Select(p =>
                KeyValuePair.Create(p.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)p.Value))),
            ["label2id"] = new JsonObject(Id2Label.OrderBy(p => p.Key).Select(p => KeyValuePair.Create(p.Value, (JsonNode?)p.Key))),
        };
        foreach (var (key, node) in extra)
            if (!o.ContainsKey(key)) o[key] = node?.DeepClone();
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>A deep copy, made through the JSON form so that it holds exactly what a saved config.json would.</summary>
    public BiGSConfig Clone() => Parse(ToJson());

    private bool TryReadField(string key, JsonNode? node)
    {
        switch (key)
        {
            case "vocab_size": VocabSize = ReadInt(key, node); return true;
            case "hidden_size": HiddenSize = ReadInt(key, node); return true;
            case "num_hidden_layers": NumHiddenLayers = ReadInt(key, node); return true;
            case "intermediate_size": IntermediateSize = ReadInt(key, node); return true;
            case "hidden_act": HiddenAct = ReadString(key, node); return true;
            case "hidden_dropout_prob": HiddenDropoutProb = ReadFloat(key, node); return true;
            case "classifier_dropout": ClassifierDropout = node is null ? null : ReadFloat(key, node); return true;
            case "max_position_embeddings": MaxPositionEmbeddings = ReadInt(key, node); return true;
            case "type_vocab_size": TypeVocabSize = ReadInt(key, node); return true;
            case "initializer_range": InitializerRange = ReadFloat(key, node); return true;
            case "layer_norm_eps": LayerNormEps = ReadFloat(key, node); return true;
            case "pad_token_id": PadTokenId = node is null ? 0 : ReadInt(key, node); return true;
            case "num_ssm": NumSsm = ReadInt(key, node); return true;
            case "pre_norm": PreNorm = ReadBool(key, node); return true;
            case "scaling": Scaling = ReadString(key, node); return true;
            case "pooler_type": PoolerType = ReadString(key, node); return true;
            case "tie_word_embeddings": TieWordEmbeddings = ReadBool(key, node); return true;
            case "num_labels": NumLabels = ReadInt(key, node); return true;
            case "problem_type": ProblemType = node is null ? null : ReadString(key, node); return true;
            case "id2label": Id2Label = ReadLabels(key, node); NumLabels = Math.Max(NumLabels, Id2Label.Count); return true;
            case "architectures": Architectures = node is JsonArray a ? a.Select(n => ReadString(key, n)).ToList() : []; return true;
            case "model_type":
                if (node is not null && ReadString(key, node) is var type && !string.Equals(type, "BiGS", StringComparison.OrdinalIgnoreCase))
                    throw new ConfigException($"model_type must be \"BiGS\", got \"{type}\"");
                return true;
            case "label2id": return true; // derived from id2label
            default: return false;
        }
    }

    private static Dictionary<int, string> ReadLabels(string key, JsonNode? node)
    {
        if (node is not JsonObject o) throw new ConfigException($"{key} must be an object of id -> label");
        return o.ToDictionary(
            p => int.TryParse(p.Key, NumberStyles.Integer, CultureInfo.InvariantCulture, out int id) ? id : throw new ConfigException($"{key} has a non-integer id \"{p.Key}\""),
            p => ReadString(key, p.Value));
    }

    private static int ReadInt(string key, JsonNode? node) =>
        node is JsonValue v && v.TryGetValue(out int i) ? i
        : node is JsonValue d && d.TryGetValue(out double x) && x == Math.Floor(x) ? (int)x
        : throw new ConfigException($"{key} must be an integer, got {Describe(node)}");

    private static float ReadFloat(string key, JsonNode? node) =>
        node is JsonValue v && v.TryGetValue(out double d) ? (float)d : throw new ConfigException($"{key} must be a number, got {Describe(node)}");

    private static bool ReadBool(string key, JsonNode? node) =>
        node is JsonValue v && v.TryGetValue(out bool b) ? b : throw new ConfigException($"{key} must be true or false, got {Describe(node)}");

    private static string ReadString(string key, JsonNode? node) =>
        node is JsonValue v && v.TryGetValue(out string? s) ? s : throw new ConfigException($"{key} must be a string, got {Describe(node)}");

    private static string Describe(JsonNode? node) => node?.ToJsonString() ?? "null";

    private static void RequirePositive(string field, int value)
    {
        if (value <= 0) throw new ConfigException($"{field} must be a positive integer, got {value}");
    }

    private static void RequireProbability(string field, float value)
    {
        if (value is < 0f or >= 1f) throw new ConfigException($"{field} must be in [0, 1), got {value}");
    }

    private static void RequireOneOf(string field, string value, params string[] allowed)
    {
        if (!allowed.Contains(value))
            throw new ConfigException($"{field} must be one of {string.Join(", ", allowed.Select(a => $"\"{a}\""))}, got \"{value}\"");
    }
}

/// <summary>A config.json that cannot be used; the message names the file and field.</summary>
public sealed class ConfigException : Exception
{
    /// <summary>Creates the exception; <paramref name="message"/> names the file and field at fault.</summary>
    public ConfigException(string message, Exception? inner = null) : base(message, inner) { }
}
