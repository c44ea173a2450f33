// Sentence classification with BiGS: labels each sentence with the classes its config names (id2label).
//
//   dotnet run -c Release --project samples/SentenceClassification -- [MODEL_DIR] ["sentence" ...]
//
// MODEL_DIR holds a fine-tuned BiGSForSequenceClassification checkpoint (config.json with num_labels and
// id2label, plus model.safetensors or flax_model.msgpack). Without it the sample builds a tiny randomly
// initialised two-class model, so it runs anywhere; its labels are then random, but every step is the real one.
using BiGS.Native.Autograd;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;
using BiGS.Native.Tokenization;

string? modelDirectory = args.Length > 0 ? args[0] : null;
string[] sentences = args.Length > 1
    ? args[1..]
    : ["a gripping, beautifully acted film.", "the plot is thin and the jokes fall flat.", "it was fine."];

// BiGS checkpoints use the bert-base-uncased WordPiece vocabulary, built into the package; for a checkpoint with
// its own tokenizer.json or vocab.txt use BertTokenizer.FromPretrained(modelDirectory) instead.
var tokenizer = BertTokenizer.BertBaseUncased();
var model = modelDirectory is null
    ? new BiGSForSequenceClassification(TinyConfig(tokenizer.VocabSize), seed: 42)
    : BiGSForSequenceClassification.FromPretrained(modelDirectory);
model.Eval();

// One batch: every sentence padded to the longest; the attention mask tells the pooler which tokens are real.
int maxLength = sentences.Max(s => tokenizer.Encode(s).InputIds.Length);
var encodings = tokenizer.EncodeBatch(sentences, maxLength: maxLength, padToMaxLength: true);
int batch = sentences.Length, numLabels = model.Config.NumLabels;
float[] probabilities;
using (GradMode.NoGrad())
{
    var input = new BiGSInput(Tensor.FromInts(encodings.SelectMany(e => e.InputIds).ToArray(), batch, maxLength))
    {
        TokenTypeIds = Tensor.FromInts(encodings.SelectMany(e => e.TokenTypeIds).ToArray(), batch, maxLength),
        AttentionMask = Tensor.FromInts(encodings.SelectMany(e => e.AttentionMask).ToArray(), batch, maxLength),
    };
    var logits = model.Forward(input).Logits!.Value;           // (B, num_labels)
    probabilities = Tensor.Softmax(logits).ToArray();
}

for (int i = 0; i < batch; i++)
{
    var row = probabilities.AsSpan(i * numLabels, numLabels).ToArray();
    int best = Array.IndexOf(row, row.Max());
    string label = model.Config.Id2Label.GetValueOrDefault(best, $"LABEL_{best}");
    Console.WriteLine($"{label,-10} {row[best],6:P1}  {sentences[i]}");
}

// A 2-layer, 32-wide two-class BiGS: seconds to build, for trying the pipeline without a checkpoint.
static BiGSConfig TinyConfig(int vocabSize) => new()
{
    VocabSize = vocabSize,
    HiddenSize = 32,
    IntermediateSize = 64,
    NumHiddenLayers = 2,
    NumSsm = 16,
    MaxPositionEmbeddings = 128,
    NumLabels = 2,
    Id2Label = new() { [0] = "negative", [1] = "positive" },
};
