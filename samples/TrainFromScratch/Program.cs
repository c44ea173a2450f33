// Masked-LM pretraining of a small BiGS from scratch on your own text, with the library's Trainer.
//
//   dotnet run -c Release --project samples/TrainFromScratch -- CORPUS.txt[.gz] [STEPS] [OUT_DIR]
//
// CORPUS holds one document a line. The run writes checkpoints (resumable), metrics.jsonl and loss.svg to OUT_DIR.
// The `bigs pretrain` command does the same with every option exposed and a live progress display.
using BiGS.Native.Data;
using BiGS.Native.Modeling;
using BiGS.Native.Tokenization;
using BiGS.Native.Training;

if (args.Length == 0)
{
    Console.Error.WriteLine("usage: TrainFromScratch CORPUS.txt[.gz] [STEPS] [OUT_DIR]");
    return 1;
}
int steps = args.Length > 1 ? int.Parse(args[1]) : 50;
string output = args.Length > 2 ? args[2] : "runs/train-from-scratch";
const int maxLength = 128;

// Tokenise and pack the corpus into [CLS] ... [SEP] sequences; 2% is held out for evaluation.
var tokenizer = BertTokenizer.BertBaseUncased();
var corpus = PretrainingCorpus.Load([args[0]], tokenizer, maxLength);

// BERT's dynamic masking: 15% of tokens chosen anew each time a sequence is seen (80% [MASK], 10% random, 10% kept).
var masking = new MlmMasking(tokenizer, MlmMasking.DefaultMaxPredictions(maxLength));
var data = new MaskedLmBatchSource(corpus.Train, masking, tokenizer.PadId, batchSize: 8, seed: 1);
var heldOut = MaskedLmBatchSource.EvaluationBatches(corpus.HeldOut.Take(64).ToList(), masking, tokenizer.PadId, 8, seed: 2);

var config = new BiGSConfig
{
    VocabSize = tokenizer.VocabSize, HiddenSize = 128, IntermediateSize = 512, NumHiddenLayers = 2,
    NumSsm = 64, MaxPositionEmbeddings = maxLength,
};
var model = new BiGSForMaskedLM(config, seed: 0);

// AdamW with the authors' decay mask (no decay on biases and LayerNorm weights), warm-up then cosine decay.
var optimizer = AdamW.ForModel(model, new AdamWOptions());
var schedule = new LearningRateSchedule(peak: 2e-3f, warmupSteps: steps / 10, totalSteps: steps, ScheduleKind.Cosine, minRatio: 0.1f);
var objective = new MaskedLanguageModelingObjective();
var trainer = new Trainer(model, data, optimizer, schedule, objective,
    new TrainerOptions { Steps = steps, EvalEvery = Math.Max(1, steps / 5), SaveEvery = steps, OutputDirectory = output })
{
    Evaluate = m => Evaluation.Run(m, objective, heldOut),
};

var progress = new Progress<TrainingProgress>(p =>
{
    if (p.Event == TrainingEvent.Step && p.Step % 10 == 0) Console.WriteLine($"step {p.Step}/{p.TotalSteps}  loss {p.Latest.Loss:F4}");
    if (p.Event == TrainingEvent.Evaluation) Console.WriteLine($"eval at step {p.Step}: {string.Join(", ", p.Eval!.Select(e => $"{e.Key} {e.Value:F4}"))}");
});
var result = trainer.Run(progress);
Console.WriteLine($"done at step {result.Step}; checkpoint {result.CheckpointPath}; loss plot {result.Log.PlotPath}");
return 0;
