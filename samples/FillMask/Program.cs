// Fill-mask with BiGS: predicts the token behind each [MASK] in a sentence.
//
//   dotnet run -c Release --project samples/FillMask -- [MODEL_DIR] ["text with a [MASK] token"]
//
// MODEL_DIR holds config.json and model.safetensors or flax_model.msgpack (e.g. one of the authors' released
// BiGS checkpoints, or the output of `bigs convert`). Without it the sample builds a tiny randomly initialised
// model, so it runs anywhere; its guesses are then random, but every step is the real one.
using BiGS.Native.Autograd;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;
using BiGS.Native.Tokenization;

const int TopK = 5;
string? modelDirectory = args.Length > 0 ? args[0] : null;
string text = args.Length > 1 ? args[1] : "The capital of France is [MASK].";

// BiGS checkpoints use the bert-base-uncased WordPiece vocabulary, built into the package; for a checkpoint with
// its own tokenizer.json or vocab.txt use BertTokenizer.FromPretrained(modelDirectory) instead.
var tokenizer = BertTokenizer.BertBaseUncased();
var model = modelDirectory is null
    ? new BiGSForMaskedLM(TinyConfig(tokenizer.VocabSize), seed: 42)
    : BiGSForMaskedLM.FromPretrained(modelDirectory);
model.Eval();   // no dropout

var encoding = tokenizer.Encode(text);
int length = encoding.InputIds.Length, vocabSize = model.Config.VocabSize;
float[] probabilities;
using (GradMode.NoGrad())   // inference: record no graph for backward
{
    var input = new BiGSInput(Tensor.FromInts(encoding.InputIds, 1, length));
    var logits = model.Forward(input).Logits!.Value;          // (1, L, vocab)
    probabilities = Tensor.Softmax(logits).ToArray();          // softmax over the vocabulary, row-major (L, vocab)
}

Console.WriteLine($"{text}  ({(modelDirectory is null ? "tiny random model" : modelDirectory)})");
for (int position = 0; position < length; position++)
{
    if (encoding.InputIds[position] != tokenizer.MaskId) continue;
    var row = probabilities.AsSpan(position * vocabSize, vocabSize).ToArray();
    Console.WriteLine($"[MASK] at position {position}:");
    foreach (int id in Enumerable.Range(0, vocabSize).OrderByDescending(id => row[id]).Take(TopK))
        Console.WriteLine($"  {tokenizer.Decode([id]),-15} {row[id]:P3}");
}

// A 2-layer, 32-wide BiGS: seconds to build, for trying the pipeline without a checkpoint.
static BiGSConfig TinyConfig(int vocabSize) => new()
{
    VocabSize = vocabSize,
    HiddenSize = 32,
    IntermediateSize = 64,
    NumHiddenLayers = 2,
    NumSsm = 16,
    MaxPositionEmbeddings = 128,
};
