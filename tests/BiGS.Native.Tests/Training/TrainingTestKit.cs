using BiGS.Native.Data;
using BiGS.Native.Modeling;
using BiGS.Native.Tokenization;
using BiGS.Native.Training;

namespace BiGS.Native.Tests.Training;

/// <summary>A tiny vocabulary, corpus and BiGS model so whole training runs take milliseconds.</summary>
internal static class TrainingTestKit
{
    public static readonly string[] Words = ["the", "lord", "god", "earth", "heaven", "light", "and", "was", "said", "day", "night", "water", "let", "be", "there", "made"];

    public static BertTokenizer Tokenizer { get; } = BertTokenizer.FromVocab(
        new StringReader(string.Join('\n', new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "." }.Concat(Words))), "tiny vocab");

    public static string CorpusText(int lines, int seed = 1)
    {
        var random = new Random(seed);
        return string.Join('\n', Enumerable.Range(0, lines).Select(_ =>
            string.Join(' ', Enumerable.Range(0, random.Next(3, 12)).Select(_ => Words[random.Next(Words.Length)])) + "."));
    }

    public static PretrainingCorpus Corpus(int lines = 80, int maxLength = 16) =>
        PretrainingCorpus.FromLines(CorpusText(lines).Split('\n').Select((t, i) => new CorpusLine("test", i + 1, t)), Tokenizer, maxLength, "test corpus");

    public static BiGSConfig Config(float dropout = 0.1f) => new()
    {
        VocabSize = Tokenizer.VocabSize,
        HiddenSize = 8,
        NumHiddenLayers = 1,
        IntermediateSize = 16,
        NumSsm = 4,
        MaxPositionEmbeddings = 16,
        HiddenDropoutProb = dropout,
    };

    public static MaskedLmBatchSource Source(PretrainingCorpus corpus, int batchSize, ulong seed = 7) =>
        new(corpus.Train, new MlmMasking(Tokenizer, maxPredictions: 3), Tokenizer.PadId, batchSize, seed);

    /// <summary>A trainer for a fresh model (seed 3) on the corpus, on <paramref name="device"/> (default: the CPU).</summary>
    public static (Trainer Trainer, BiGSForMaskedLM Model) Create(PretrainingCorpus corpus, TrainerOptions options, int batchSize = 4,
        float dropout = 0.1f, Func<IBatchSource, IBatchSource>? wrapSource = null, Native.Tensors.Device? device = null)
    {
        var model = new BiGSForMaskedLM(Config(dropout), seed: 3);
        if (device is not null) model.To(device);
        var optimizer = AdamW.ForModel(model, new AdamWOptions { SsmLearningRateMultiplier = 0.5f });
        var schedule = new LearningRateSchedule(1e-2f, 2, options.Steps, ScheduleKind.Cosine, 0.1f);
        IBatchSource source = Source(corpus, batchSize);
        return (new Trainer(model, wrapSource?.Invoke(source) ?? source, optimizer, schedule, new MaskedLanguageModelingObjective(), options), model);
    }
}
