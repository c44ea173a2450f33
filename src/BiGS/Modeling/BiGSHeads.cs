namespace BiGS.Native.Modeling;

/// <summary>Creates or loads the model class of a <see cref="BiGSHead"/>.</summary>
public static class BiGSHeads
{
    private static readonly (BiGSHead Head, string Name, string ClassName)[] Table =
    [
        (BiGSHead.Base, "base", nameof(BiGSModel)),
        (BiGSHead.MaskedLM, "mlm", nameof(BiGSForMaskedLM)),
        (BiGSHead.PreTraining, "pretraining", nameof(BiGSForPreTraining)),
        (BiGSHead.NextSentencePrediction, "nsp", nameof(BiGSForNextSentencePrediction)),
        (BiGSHead.SequenceClassification, "sequence-classification", nameof(BiGSForSequenceClassification)),
        (BiGSHead.TokenClassification, "token-classification", nameof(BiGSForTokenClassification)),
        (BiGSHead.QuestionAnswering, "question-answering", nameof(BiGSForQuestionAnswering)),
        (BiGSHead.MultipleChoice, "multiple-choice", nameof(BiGSForMultipleChoice)),
    ];

    /// <summary>Command-line names of every head.</summary>
    public static IEnumerable<string> Names => Table.Select(t => t.Name);

    /// <summary>Parses a command-line head name.</summary>
    public static BiGSHead Parse(string name) =>
        Table.FirstOrDefault(t => t.Name == name) is { ClassName: not null } entry
            ? entry.Head
            : throw new ArgumentException($"unknown head \"{name}\"; choose one of {string.Join(", ", Names)}");

    /// <summary>The command-line name of a head.</summary>
    public static string NameOf(BiGSHead head) => Table.First(t => t.Head == head).Name;

    /// <summary>The head a config's <c>architectures</c> names first (masked LM when none is named).</summary>
    public static BiGSHead FromConfig(BiGSConfig config) =>
        config.Architectures.Select(a => Table.FirstOrDefault(t => t.ClassName == a))
            .FirstOrDefault(t => t.ClassName != null) is { ClassName: not null } entry ? entry.Head : BiGSHead.MaskedLM;

    /// <summary>A randomly initialised model of the head.</summary>
    public static BiGSPreTrainedModel Create(BiGSHead head, BiGSConfig config, ulong seed = 0) => head switch
    {
        BiGSHead.Base => new BiGSModel(config, seed),
        BiGSHead.MaskedLM => new BiGSForMaskedLM(config, seed),
        BiGSHead.PreTraining => new BiGSForPreTraining(config, seed),
        BiGSHead.NextSentencePrediction => new BiGSForNextSentencePrediction(config, seed),
        BiGSHead.SequenceClassification => new BiGSForSequenceClassification(config, seed),
        BiGSHead.TokenClassification => new BiGSForTokenClassification(config, seed),
        BiGSHead.QuestionAnswering => new BiGSForQuestionAnswering(config, seed),
        _ => new BiGSForMultipleChoice(config, seed),
    };

    /// <summary>Loads a model directory into the given head (or the head its config names).</summary>
    /// <param name="directory">A directory with config.json and model.safetensors or flax_model.msgpack.</param>
    /// <param name="head">The head to build; null for the one config.json names.</param>
    /// <param name="progress">Receives the number of parameter values loaded so far.</param>
    /// <param name="cancellationToken">Checked between tensors.</param>
    public static BiGSPreTrainedModel FromPretrained(string directory, BiGSHead? head = null,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        PretrainedLoader.Load(directory, c => Create(head ?? FromConfig(c), c), progress, cancellationToken);
}
