using System.CommandLine;
using System.Globalization;
using System.IO.Compression;
using BiGS.Native.Cli.Progress;
using BiGS.Native.Data;
using BiGS.Native.Inference;
using BiGS.Native.Modeling;
using BiGS.Native.Tasks;
using BiGS.Native.Tokenization;
using BiGS.Native.Training;

namespace BiGS.Native.Cli.Commands;

/// <summary>
/// <c>bigs pretrain</c>: masked-LM pretraining. With no arguments it trains a small BiGS on the embedded King James
/// Bible with the embedded bert-base-uncased vocabulary, shows progress, then prints fill-mask predictions and
/// where the checkpoint, metrics log and loss plot are. Every default can be overridden.
/// </summary>
public static class PretrainCommand
{
    private const string EmbeddedCorpus = "BiGS.Native.Cli.kjv.txt.gz";
    private const string EmbeddedCorpusName = "embedded King James Bible (kjv.txt.gz)";

    private static readonly string[] DemoSentences =
    [
        "In the beginning God created the [MASK] and the earth.",
        "And God said, Let there be [MASK].",
        "The Lord is my [MASK]; I shall not want.",
        "For God so loved the [MASK], that he gave his only begotten Son.",
    ];

    /// <summary>The settings of a run (the command's options after defaults).</summary>
    private sealed record Settings
    {
        public string[] Corpus { get; init; } = [];
        public string? Vocab { get; init; }
        public string? Config { get; init; }
        public int Steps { get; init; }
        public int BatchSize { get; init; }
        public int MaxLength { get; init; }
        public float LearningRate { get; init; }
        public int? Warmup { get; init; }
        public string Schedule { get; init; } = "cosine";
        public float WeightDecay { get; init; }
        public float? SsmLrMultiplier { get; init; }
        public float GradClip { get; init; }
        public int Accumulate { get; init; }
        public float? Dropout { get; init; }
        public ulong Seed { get; init; }
        public int? EvalEvery { get; init; }
        public int? SaveEvery { get; init; }
        public string Out { get; init; } = "runs/pretrain";
        public string? Resume { get; init; }
        public string? Device { get; init; }
        public bool NextSentence { get; init; }
        public string? Init { get; init; }
    }

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var corpus = new Option<string[]>("--corpus") { Description = "Text files (.txt or .txt.gz; one document a line or blank-line separated); default: the embedded KJV", AllowMultipleArgumentsPerToken = true };
        var vocab = new Option<string?>("--vocab") { Description = "vocab.txt or tokenizer.json, copied into each checkpoint (default: on --resume the checkpoint's, else embedded bert-base-uncased)" };
        var config = new Option<string?>("--config") { Description = "config.json of the model (default: 4 layers, hidden 128, L 128; on --resume: the checkpoint's)" };
        var steps = new Option<int>("--steps") { Description = "Optimizer updates", DefaultValueFactory = _ => 600 };
        var batchSize = new Option<int>("--batch-size") { Description = "Sequences per micro-batch", DefaultValueFactory = _ => 16 };
        var maxLength = new Option<int>("--max-length") { Description = "Tokens per packed sequence", DefaultValueFactory = _ => 128 };
        var lr = new Option<float>("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => 2e-3f };
        var warmup = new Option<int?>("--warmup") { Description = "Warm-up updates (default: 10% of --steps)" };
        var schedule = new Option<string>("--schedule") { Description = "Decay after warm-up (cosine decays to 0.1 x peak)", DefaultValueFactory = _ => "cosine" };
        schedule.AcceptOnlyFromAmong("linear", "cosine", "constant");
        var weightDecay = new Option<float>("--weight-decay") { Description = "AdamW decay (not on biases and LayerNorm)", DefaultValueFactory = _ => 0.05f };
        var ssmLr = new Option<float?>("--ssm-lr-multiplier") { Description = "Own group for A_re, A_im, log_step at this lr multiple, no decay" };
        var gradClip = new Option<float>("--grad-clip") { Description = "Global gradient norm limit (0: off)", DefaultValueFactory = _ => 1f };
        var accumulate = new Option<int>("--accumulate") { Description = "Micro-batches per update", DefaultValueFactory = _ => 1 };
        var dropout = new Option<float?>("--dropout") { Description = "Hidden dropout (overrides the config's)" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of initialisation, dropout, data order and masking", DefaultValueFactory = _ => 0UL };
        var evalEvery = new Option<int?>("--eval-every") { Description = "Evaluate on the held-out split every N updates (default: --steps / 5)" };
        var saveEvery = new Option<int?>("--save-every") { Description = "Checkpoint every N updates (default: --steps / 2; always at the end)" };
        var output = new Option<string>("--out") { Description = "Run directory (checkpoints, metrics.jsonl, loss.svg)", DefaultValueFactory = _ => "runs/pretrain" };
        var resume = new Option<string?>("--resume") { Description = "Continue from a checkpoint (or a run directory's newest)" };
        var device = DeviceOption.Create();
        var nextSentence = new Option<bool>("--next-sentence") { Description = "Add BERT's next-sentence prediction: each example is two corpus lines, the second following the first or (half the time) a random line; trains a BiGSForPreTraining" };
        var init = new Option<string?>("--init") { Description = "Start from this model's weights (heads it lacks are newly initialised) with a fresh optimizer and schedule" };

        var command = new Command("pretrain", "Masked-LM pretraining of BiGS (default: a small model on the embedded KJV corpus, a few minutes on CPU)");
        foreach (var option in new Option[] { corpus, vocab, config, steps, batchSize, maxLength, lr, warmup, schedule, weightDecay, ssmLr,
                     gradClip, accumulate, dropout, seed, evalEvery, saveEvery, output, resume, init, nextSentence, device })
            command.Options.Add(option);
        command.SetAction(r => CliErrors.Guard(() => Run(new Settings
        {
            Corpus = r.GetValue(corpus) ?? [],
            Vocab = r.GetValue(vocab),
            Config = r.GetValue(config),
            Steps = r.GetValue(steps),
            BatchSize = r.GetValue(batchSize),
            MaxLength = r.GetValue(maxLength),
            LearningRate = r.GetValue(lr),
            Warmup = r.GetValue(warmup),
            Schedule = r.GetValue(schedule)!,
            WeightDecay = r.GetValue(weightDecay),
            SsmLrMultiplier = r.GetValue(ssmLr),
            GradClip = r.GetValue(gradClip),
            Accumulate = r.GetValue(accumulate),
            Dropout = r.GetValue(dropout),
            Seed = r.GetValue(seed),
            EvalEvery = r.GetValue(evalEvery),
            Device = r.GetValue(device),
            SaveEvery = r.GetValue(saveEvery),
            Out = r.GetValue(output)!,
            Resume = r.GetValue(resume),
            Init = r.GetValue(init),
            NextSentence = r.GetValue(nextSentence),
        })));
        return command;
    }

    /// <summary>The default model: 4 layers, hidden 128, intermediate 512, N 64, L 128, tied embeddings, 30522 tokens.</summary>
    public static BiGSConfig DefaultConfig() => new()
    {
        VocabSize = 30522,
        HiddenSize = 128,
        NumHiddenLayers = 4,
        IntermediateSize = 512,
        NumSsm = 64,
        MaxPositionEmbeddings = 128,
        HiddenDropoutProb = 0.1f,
        TieWordEmbeddings = true,
        Architectures = [nameof(BiGSForMaskedLM)],
    };

    private static int Run(Settings s)
    {
        Validate(s);
        CliErrors.RequireWritableDirectory(s.Out, "--out");
        string? resumeFrom = s.Resume is null ? null : TrainingCheckpoint.FindLatest(s.Resume);
        string? tokenizerFile = KeepTokenizerFile(s.Vocab ?? (resumeFrom is null ? null : ModelTokenizer.FileIn(resumeFrom)), s.Out);
        var tokenizer = LoadTokenizer(tokenizerFile);
        var config = LoadConfig(s, resumeFrom ?? s.Init);
        if (config.VocabSize < tokenizer.VocabSize)
            throw new ArgumentException($"the model's vocab_size {config.VocabSize} is smaller than the vocabulary's {tokenizer.VocabSize} tokens");
        if (s.MaxLength > config.MaxPositionEmbeddings)
            throw new ArgumentException($"--max-length {s.MaxLength} exceeds the model's max_position_embeddings {config.MaxPositionEmbeddings}");

        Console.WriteLine($"corpus: {(s.Corpus.Length == 0 ? EmbeddedCorpusName : string.Join(", ", s.Corpus))}");
        var masking = new MlmMasking(tokenizer, MlmMasking.DefaultMaxPredictions(s.MaxLength));
        var (data, evalBatches, dataNote) = s.NextSentence ? SentencePairData(s, tokenizer, masking) : PackedData(s, tokenizer, masking);

        var model = CreateModel(s, config);
        model.To(DeviceOption.Resolve(s.Device));
        var optimizer = AdamW.ForModel(model, new AdamWOptions { WeightDecay = s.WeightDecay, SsmLearningRateMultiplier = s.SsmLrMultiplier });
        var schedule = new LearningRateSchedule(s.LearningRate, s.Warmup ?? s.Steps / 10, s.Steps, LearningRateSchedule.ParseKind(s.Schedule),
            minRatio: s.Schedule == "cosine" ? 0.1f : 0f);
        var objective = new MaskedLanguageModelingObjective();
        var trainer = new Trainer(model, data, optimizer, schedule, objective, new TrainerOptions
        {
            Steps = s.Steps,
            AccumulationSteps = s.Accumulate,
            GradientClipNorm = s.GradClip > 0 ? s.GradClip : null,
            EvalEvery = s.EvalEvery ?? Math.Max(1, s.Steps / 5),
            SaveEvery = s.SaveEvery ?? Math.Max(1, s.Steps / 2),
            OutputDirectory = s.Out,
            TokenizerFile = tokenizerFile,
        })
        {
            Evaluate = m => Evaluation.Run(m, objective, evalBatches),
        };
        if (resumeFrom is not null) Console.WriteLine($"resumed from {trainer.Resume(resumeFrom)} at step {trainer.Step}");
        Console.WriteLine($"model: {config.NumHiddenLayers} layers, hidden {config.HiddenSize}, intermediate {config.IntermediateSize}, "
            + $"{model.ParameterCount():N0} parameters on {model.Device}; {dataNote}");

        var result = TrainingDisplay.ShowUntilCancelled((progress, cancellation) => trainer.Run(progress, cancellation));
        Console.WriteLine(result.Cancelled
            ? $"interrupted at step {result.Step}; continue with --resume {result.CheckpointPath}"
            : $"finished {result.Step} steps; final loss {result.Log.Steps.LastOrDefault()?.Loss.ToString("0.0000", CultureInfo.InvariantCulture) ?? "-"}");
        if (!result.Cancelled) PrintFillMask(new FillMask(model, tokenizer));
        Console.WriteLine($"checkpoint: {result.CheckpointPath}");
        Console.WriteLine($"metrics log: {Path.Combine(s.Out, MetricsLog.LogFile)}");
        Console.WriteLine($"loss plot: {Path.Combine(s.Out, MetricsLog.PlotFile)}");
        return result.Cancelled ? 130 : 0;
    }

    private static void PrintFillMask(FillMask fillMask)
    {
        Console.WriteLine("fill-mask (top 5):");
        foreach (string sentence in DemoSentences)
        {
            var prediction = fillMask.Predict(sentence, topK: 5)[0];
            Console.WriteLine($"  {sentence}");
            Console.WriteLine("    " + string.Join("  ", prediction.Candidates.Select(c =>
                $"{c.Token} ({c.Probability.ToString("0.000", CultureInfo.InvariantCulture)})")));
        }
    }

    private static void Validate(Settings s)
    {
        if (s.Steps < 1) throw new ArgumentException($"--steps must be at least 1, got {s.Steps}");
        if (s.BatchSize < 1) throw new ArgumentException($"--batch-size must be at least 1, got {s.BatchSize}");
        if (s.MaxLength < 3) throw new ArgumentException($"--max-length must be at least 3, got {s.MaxLength}");
        if (!(s.LearningRate > 0)) throw new ArgumentException($"--lr must be positive, got {s.LearningRate}");
        if (s.Warmup < 0) throw new ArgumentException($"--warmup cannot be negative, got {s.Warmup}");
        if (s.WeightDecay < 0) throw new ArgumentException($"--weight-decay cannot be negative, got {s.WeightDecay}");
        if (s.SsmLrMultiplier is { } m && !(m > 0)) throw new ArgumentException($"--ssm-lr-multiplier must be positive, got {m}");
        if (s.GradClip < 0) throw new ArgumentException($"--grad-clip cannot be negative, got {s.GradClip}");
        if (s.Accumulate < 1) throw new ArgumentException($"--accumulate must be at least 1, got {s.Accumulate}");
        if (s.Dropout is { } d && !(d >= 0 && d < 1)) throw new ArgumentException($"--dropout must be in [0, 1), got {d}");
    }

    /// <summary>
    /// The tokenizer file (--vocab, else the resumed checkpoint's own; null: the embedded vocabulary) copied into the
    /// run directory, from where every checkpoint gets its copy: older checkpoints are deleted as the run goes on.
    /// </summary>
    private static string? KeepTokenizerFile(string? source, string runDirectory)
    {
        if (source is null) return null;
        Directory.CreateDirectory(runDirectory);
        return ModelTokenizer.SaveFile(source, runDirectory);
    }

    private static BertTokenizer LoadTokenizer(string? path) =>
        path is null ? BertTokenizer.BertBaseUncased() : ModelTokenizer.LoadFile(path);

    /// <summary>--config, else the resumed checkpoint's config, else the default small model; then --dropout.</summary>
    private static BiGSConfig LoadConfig(Settings s, string? resumeFrom)
    {
        var config = s.Config is not null ? BiGSConfig.Load(s.Config)
            : resumeFrom is not null ? BiGSConfig.Load(resumeFrom)
            : DefaultConfig();
        if (s.Dropout is { } dropout) config.HiddenDropoutProb = dropout;
        config.Validate();
        return config;
    }

    /// <summary>A new model, or --init's weights; with --next-sentence the MLM and next-sentence heads, else MLM only.</summary>
    private static BiGSPreTrainingHeadModel CreateModel(Settings s, BiGSConfig config) => (s.NextSentence, s.Init) switch
    {
        (true, null) => new BiGSForPreTraining(config, s.Seed),
        (true, { } init) => BiGSForPreTraining.FromPretrained(init),
        (false, null) => new BiGSForMaskedLM(config, s.Seed),
        (false, { } init) => BiGSForMaskedLM.FromPretrained(init),
    };

    /// <summary>Masked-LM batches of the corpus packed into max-length sequences; held-out: up to 128 of them.</summary>
    private static (IBatchSource, List<BiGSInput>, string) PackedData(Settings s, BertTokenizer tokenizer, MlmMasking masking)
    {
        var (lines, description) = ReadCorpus(s.Corpus);
        var corpus = PretrainingCorpus.FromLines(lines, tokenizer, s.MaxLength, description);
        var data = new MaskedLmBatchSource(corpus.Train, masking, tokenizer.PadId, s.BatchSize, s.Seed + 1);
        var evalBatches = MaskedLmBatchSource.EvaluationBatches(corpus.HeldOut.Take(128).ToList(), masking, tokenizer.PadId, s.BatchSize, s.Seed + 2);
        return (data, evalBatches, $"{corpus.Train.Count} training / {corpus.HeldOut.Count} held-out sequences of {s.MaxLength} tokens");
    }

    /// <summary>Masked-LM + next-sentence batches of line pairs; held-out: pairs from up to 512 held-out lines.</summary>
    private static (IBatchSource, List<BiGSInput>, string) SentencePairData(Settings s, BertTokenizer tokenizer, MlmMasking masking)
    {
        var (lines, description) = ReadCorpus(s.Corpus);
        var corpus = LineCorpus.Split(lines, description);
        var data = new NextSentenceBatchSource(corpus.Train, tokenizer, masking, s.MaxLength, s.BatchSize, s.Seed + 1);
        var evalBatches = NextSentenceBatchSource.EvaluationBatches(corpus.HeldOut.Take(512).ToList(), tokenizer, masking, s.MaxLength, s.BatchSize, s.Seed + 2);
        return (data, evalBatches, $"sentence pairs from {corpus.Train.Count} training / {corpus.HeldOut.Count} held-out lines, {s.MaxLength} tokens");
    }

    /// <summary>The lines of the --corpus files, else of the embedded KJV, and a name for errors.</summary>
    private static (IEnumerable<CorpusLine> Lines, string Description) ReadCorpus(string[] files)
    {
        if (files.Length > 0) return (files.SelectMany(TextCorpus.ReadLines), string.Join(", ", files));
        return (ReadEmbeddedCorpus(), EmbeddedCorpusName);
    }

    private static IEnumerable<CorpusLine> ReadEmbeddedCorpus()
    {
        using var resource = typeof(PretrainCommand).Assembly.GetManifestResourceStream(EmbeddedCorpus)
            ?? throw new InvalidOperationException($"the {EmbeddedCorpusName} is missing from this build");
        using var text = new GZipStream(resource, CompressionMode.Decompress);
        foreach (var line in TextCorpus.ReadLines(text, EmbeddedCorpusName)) yield return line;
    }
}
