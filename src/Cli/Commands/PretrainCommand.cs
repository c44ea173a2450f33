using System.CommandLine;
using System.Globalization;
using System.IO.Compression;
using BiGS.Native.Cli.Progress;
using BiGS.Native.Data;
using BiGS.Native.Distributed;
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
    private const string Kind = "pretrain";
    private const string DefaultOut = "runs/pretrain";
    private const string EmbeddedCorpus = "BiGS.Native.Cli.kjv.txt.gz";
    private const string EmbeddedCorpusName = "embedded King James Bible (kjv.txt.gz)";

    private static readonly string[] DemoSentences =
    [
        "In the beginning God created the [MASK] and the earth.",
        "And God said, Let there be [MASK].",
        "The Lord is my [MASK]; I shall not want.",
        "For God so loved the [MASK], that he gave his only begotten Son.",
    ];

    /// <summary>The command's options, each declared once with its default and range.</summary>
    private sealed class Options : CommandOptions
    {
        public Option<string[]> Corpus { get; } = new("--corpus") { Description = "Text files (.txt or .txt.gz; one document a line or blank-line separated); default: the embedded KJV", AllowMultipleArgumentsPerToken = true };
        public Option<string?> Vocab { get; } = new("--vocab") { Description = "vocab.txt or tokenizer.json, copied into each checkpoint (default: on --resume the checkpoint's, else embedded bert-base-uncased)" };
        public Option<string?> Config { get; } = new("--config") { Description = "config.json of the model (default: 4 layers, hidden 128, L 128; on --resume: the checkpoint's)" };
        public Option<int> Steps { get; } = new Option<int>("--steps") { Description = "Optimizer updates", DefaultValueFactory = _ => 600 }.AtLeast(1);
        public Option<int> BatchSize { get; } = new Option<int>("--batch-size") { Description = "Sequences per micro-batch", DefaultValueFactory = _ => 16 }.AtLeast(1);
        public Option<int> MaxLength { get; } = new Option<int>("--max-length") { Description = "Tokens per packed sequence", DefaultValueFactory = _ => 128 }.AtLeast(3);
        public Option<float> LearningRate { get; } = new Option<float>("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => 2e-3f }.Positive();
        public Option<int?> Warmup { get; } = new Option<int?>("--warmup") { Description = "Warm-up updates (default: 10% of --steps)" }.AtLeast(0);
        public Option<string> Schedule { get; } = new Option<string>("--schedule") { Description = "Decay after warm-up (cosine decays to 0.1 x peak)", DefaultValueFactory = _ => "cosine" }.AcceptOnlyFromAmong("linear", "cosine", "constant");
        public Option<float> WeightDecay { get; } = new Option<float>("--weight-decay") { Description = "AdamW decay (not on biases and LayerNorm)", DefaultValueFactory = _ => 0.05f }.NonNegative();
        public Option<float?> SsmLrMultiplier { get; } = new Option<float?>("--ssm-lr-multiplier") { Description = "Own group for A_re, A_im, log_step at this lr multiple, no decay" }.Positive();
        public Option<float> GradClip { get; } = GradClipOption.Create();
        public Option<int> Accumulate { get; } = new Option<int>("--accumulate") { Description = "Micro-batches per update", DefaultValueFactory = _ => 1 }.AtLeast(1);
        public Option<float?> Dropout { get; } = new Option<float?>("--dropout") { Description = "Hidden dropout (overrides the config's)" }.InRange(0, 1);
        public Option<ulong> Seed { get; } = new("--seed") { Description = "Seed of initialisation, dropout, data order and masking", DefaultValueFactory = _ => 0UL };
        public Option<int?> EvalEvery { get; } = new Option<int?>("--eval-every") { Description = "Evaluate on the held-out split every N updates (default: --steps / 5)" }.AtLeast(1);
        public Option<int> LogEvery { get; } = LogEveryOption.Create();
        public Option<int?> SaveEvery { get; } = new Option<int?>("--save-every") { Description = "Checkpoint every N updates (default: --steps / 2; always at the end)" }.AtLeast(1);
        public Option<string?> Out { get; } = new("--out") { Description = $"Run directory: checkpoints, metrics.jsonl, loss.svg (default: the --resume run's, else {DefaultOut})" };
        public Option<bool> Overwrite { get; } = RunOutput.CreateOverwriteOption(Kind);
        public Option<string?> Resume { get; } = new("--resume") { Description = "Continue a run: its run directory (newest checkpoint) or a checkpoint in it; the run goes on in that directory unless --out says otherwise" };
        public Option<string?> Init { get; } = new("--init") { Description = "Start from this model's weights (heads it lacks are newly initialised) with a fresh optimizer and schedule" };
        public Option<bool> NextSentence { get; } = new("--next-sentence") { Description = "Add BERT's next-sentence prediction: each example is two corpus lines, the second following the first or (half the time) a random line; trains a BiGSForPreTraining" };
        public Option<string?> Device { get; } = DeviceOption.Create();
        public Option<float> CollectiveTimeout { get; } = DistributedRun.CreateTimeoutOption();
        public Option<string> Precision { get; } = PrecisionOption.Create();
        public Option<int> Zero { get; } = DistributedRun.CreateZeroOption();
    }

    /// <summary>The <c>bigs pretrain</c> command, its options bound to their handler, for the root command to add.</summary>
    public static Command Create()
    {
        var options = new Options();
        var command = new Command("pretrain", "Masked-LM pretraining of BiGS (default: a small model on the embedded KJV corpus, a few minutes on CPU)");
        options.AddTo(command);
        command.SetAction(r => CliErrors.Guard(() => Run(options, r)));
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

    private static int Run(Options o, ParseResult r)
    {
        using var scope = PrecisionOption.Use(r, o.Precision);
        return DistributedRun.Run(r.GetValue(o.CollectiveTimeout), r.GetValue(o.Zero), parallel => Train(o, r, parallel));
    }

    private static int Train(Options o, ParseResult r, DataParallel? parallel)
    {
        int steps = r.GetValue(o.Steps), maxLength = r.GetValue(o.MaxLength);
        string[] corpusFiles = r.GetValue(o.Corpus) ?? [];
        string? init = r.GetValue(o.Init) is { } initPath ? ModelPath.Resolve(initPath) : null, vocab = r.GetValue(o.Vocab);
        bool nextSentence = r.GetValue(o.NextSentence);
        DistributedRun.RequireDivisible(r.GetValue(o.BatchSize), parallel);
        string? resumeFrom = r.GetValue(o.Resume) is { } resume ? TrainingCheckpoint.FindLatest(resume) : null;
        string output = r.GetValue(o.Out) ?? (resumeFrom is null ? null : RunDirectory.Containing(resumeFrom)) ?? DefaultOut;
        if (init is not null) RunOutput.RequireApart(output, init, "--init");
        RunOutput.RequireClaimable(output, Kind, r.GetValue(o.Overwrite));
        string? tokenizerSource = vocab ?? (resumeFrom is null ? null : ModelTokenizer.FileIn(resumeFrom));
        var tokenizer = LoadTokenizer(tokenizerSource);
        var config = LoadConfig(r.GetValue(o.Config), resumeFrom ?? init, r.GetValue(o.Dropout));
        if (config.VocabSize < tokenizer.VocabSize)
            throw new ArgumentException($"the model's vocab_size {config.VocabSize} is smaller than the vocabulary's {tokenizer.VocabSize} tokens");
        if (maxLength > config.MaxPositionEmbeddings)
            throw new ArgumentException($"--max-length {maxLength} exceeds the model's max_position_embeddings {config.MaxPositionEmbeddings}");

        Console.WriteLine($"corpus: {(corpusFiles.Length == 0 ? EmbeddedCorpusName : string.Join(", ", corpusFiles))}");
        var batching = new Batching(ReadCorpus(corpusFiles), tokenizer, new MlmMasking(tokenizer, MlmMasking.DefaultMaxPredictions(maxLength)),
            maxLength, r.GetValue(o.BatchSize), r.GetValue(o.Seed));
        var (data, evalBatches, dataNote) = nextSentence ? SentencePairData(batching) : PackedData(batching);

        var model = CreateModel(nextSentence, init, config, r.GetValue(o.Seed));
        model.To(DeviceOption.Resolve(r.GetValue(o.Device)));
        // nothing is written before the inputs are known good; rank 0 alone claims and writes the run directory
        bool writes = parallel is not { IsRoot: false };
        var run = writes ? RunOutput.Claim(output, Kind, r.GetValue(o.Overwrite)) : null;
        string? tokenizerFile = writes ? KeepTokenizerFile(tokenizerSource, output) : tokenizerSource;
        var optimizer = AdamW.ForModel(model, new AdamWOptions { WeightDecay = r.GetValue(o.WeightDecay), SsmLearningRateMultiplier = r.GetValue(o.SsmLrMultiplier) });
        string scheduleName = r.GetValue(o.Schedule)!;
        var schedule = new LearningRateSchedule(r.GetValue(o.LearningRate), r.GetValue(o.Warmup) ?? steps / 10, steps, LearningRateSchedule.ParseKind(scheduleName),
            minRatio: scheduleName == "cosine" ? 0.1f : 0f);
        var objective = new MaskedLanguageModelingObjective();
        var trainer = new Trainer(model, data, optimizer, schedule, objective, new TrainerOptions
        {
            Steps = steps,
            AccumulationSteps = r.GetValue(o.Accumulate),
            GradientClipNorm = GradClipOption.Read(r, o.GradClip),
            LogEvery = r.GetValue(o.LogEvery),
            EvalEvery = r.GetValue(o.EvalEvery) ?? Math.Max(1, steps / 5),
            SaveEvery = r.GetValue(o.SaveEvery) ?? Math.Max(1, steps / 2),
            OutputDirectory = output,
            RunKind = Kind,
            TokenizerFile = tokenizerFile,
            Parallel = parallel,
        })
        {
            Evaluate = m => Evaluation.Run(m, objective, evalBatches),
        };
        if (resumeFrom is not null) Console.WriteLine($"resumed from {trainer.Resume(resumeFrom)} at step {trainer.Step}");
        Console.WriteLine($"model: {config.NumHiddenLayers} layers, hidden {config.HiddenSize}, intermediate {config.IntermediateSize}, "
            + $"{model.ParameterCount():N0} parameters on {model.Device}; {dataNote}");

        var result = TrainingDisplay.ShowUntilCancelled((progress, cancellation) => trainer.Run(progress, cancellation));
        Console.WriteLine(result.Cancelled
            ? $"interrupted at step {result.Step}; continue with: {RunOutput.ResumeCommand(r, run?.Path ?? output)}"
            : $"finished {result.Step} steps; final loss {result.Log.Steps.LastOrDefault()?.Loss.ToString("0.0000", CultureInfo.InvariantCulture) ?? "-"}");
        if (parallel is not null) DistributedRun.PrintReductionCost(parallel);
        if (!result.Cancelled && writes) PrintFillMask(new FillMask(model, tokenizer));
        Console.WriteLine($"checkpoint: {result.CheckpointPath}");
        Console.WriteLine($"metrics log: {Path.Combine(output, MetricsLog.LogFile)}");
        Console.WriteLine($"loss plot: {Path.Combine(output, MetricsLog.PlotFile)}");
        return result.Cancelled ? 130 : 0;
    }

    /// <summary>What the batch sources are built from: corpus lines, tokenizer, masking, sizes and the run's seed.</summary>
    private sealed record Batching((IEnumerable<CorpusLine> Lines, string Description) Corpus, BertTokenizer Tokenizer, MlmMasking Masking,
        int MaxLength, int BatchSize, ulong Seed);

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
    private static BiGSConfig LoadConfig(string? configFile, string? resumeFrom, float? dropout)
    {
        var config = configFile is not null ? BiGSConfig.Load(configFile)
            : resumeFrom is not null ? BiGSConfig.Load(resumeFrom)
            : DefaultConfig();
        if (dropout is { } p) config.HiddenDropoutProb = p;
        config.Validate();
        return config;
    }

    /// <summary>A new model, or --init's weights; with --next-sentence the MLM and next-sentence heads, else MLM only.</summary>
    private static BiGSPreTrainingHeadModel CreateModel(bool nextSentence, string? init, BiGSConfig config, ulong seed) => (nextSentence, init) switch
    {
        (true, null) => new BiGSForPreTraining(config, seed),
        (true, { } directory) => BiGSForPreTraining.FromPretrained(directory),
        (false, null) => new BiGSForMaskedLM(config, seed),
        (false, { } directory) => BiGSForMaskedLM.FromPretrained(directory),
    };

    /// <summary>Masked-LM batches of the corpus packed into max-length sequences; held-out: up to 128 of them.</summary>
    private static (IBatchSource, List<BiGSInput>, string) PackedData(Batching b)
    {
        var corpus = PretrainingCorpus.FromLines(b.Corpus.Lines, b.Tokenizer, b.MaxLength, b.Corpus.Description);
        var data = new MaskedLmBatchSource(corpus.Train, b.Masking, b.Tokenizer.PadId, b.BatchSize, b.Seed + 1);
        var evalBatches = MaskedLmBatchSource.EvaluationBatches(corpus.HeldOut.Take(128).ToList(), b.Masking, b.Tokenizer.PadId, b.BatchSize, b.Seed + 2);
        return (data, evalBatches, $"{corpus.Train.Count} training / {corpus.HeldOut.Count} held-out sequences of {b.MaxLength} tokens");
    }

    /// <summary>Masked-LM + next-sentence batches of line pairs; held-out: pairs from up to 512 held-out lines.</summary>
    private static (IBatchSource, List<BiGSInput>, string) SentencePairData(Batching b)
    {
        var corpus = LineCorpus.Split(b.Corpus.Lines, b.Corpus.Description);
        var data = new NextSentenceBatchSource(corpus.Train, b.Tokenizer, b.Masking, b.MaxLength, b.BatchSize, b.Seed + 1);
        var evalBatches = NextSentenceBatchSource.EvaluationBatches(corpus.HeldOut.Take(512).ToList(), b.Tokenizer, b.Masking, b.MaxLength, b.BatchSize, b.Seed + 2);
        return (data, evalBatches, $"sentence pairs from {corpus.Train.Count} training / {corpus.HeldOut.Count} held-out lines, {b.MaxLength} tokens");
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
