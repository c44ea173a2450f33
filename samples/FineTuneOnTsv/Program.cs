// Fine-tune a pretrained BiGS on any TSV/CSV with a header, then score it: the library API behind `bigs finetune`.
//
//   dotnet run -c Release --project samples/FineTuneOnTsv -- MODEL_DIR DATA_DIR TEXT_COLUMN LABEL_COLUMN [OUT_DIR]
//
// MODEL_DIR is a masked-LM or pre-training checkpoint (for example the output of `bigs pretrain`); DATA_DIR holds
// train.tsv and dev.tsv (or .csv). A new classifier head is created for the labels found in train.
// Example with the project's data: ... -- runs/pretrain/checkpoints/step-000300 data/tasks/testament sentence label
using BiGS.Native.Tasks;

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: FineTuneOnTsv MODEL_DIR DATA_DIR TEXT_COLUMN LABEL_COLUMN [OUT_DIR]");
    return 1;
}
string output = args.Length > 4 ? args[4] : "runs/finetune-sample";

// A custom task reads its columns by header name; single-label classification with the labels in train.
var task = GlueTasks.Custom(textColumn: args[2], textPairColumn: null, labelColumn: args[3], regression: false);
var options = new FineTuneOptions { LearningRate = 1e-3f, Epochs = 1, MaxLength = 64, MaxTrainExamples = 800 };
var fineTuning = new FineTuning(task, args[1], args[0], output, options);
if (fineTuning.HeadNote is { } note) Console.WriteLine(note);
Console.WriteLine($"{fineTuning.TrainExamples} training examples, {fineTuning.TotalSteps} updates");

var result = fineTuning.Run(new Progress<BiGS.Native.Training.TrainingProgress>(p =>
{
    if (p.Event == BiGS.Native.Training.TrainingEvent.Evaluation)
        Console.WriteLine($"dev at step {p.Step}: {string.Join(", ", p.Eval!.Select(e => $"{e.Key} {e.Value:F4}"))}");
}));
Console.WriteLine(result.Best is { } best
    ? $"best model (step {best.Step}: {best.Result.Scores}) saved in {output}"
    : "no evaluation ran");
return 0;
