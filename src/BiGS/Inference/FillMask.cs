using BiGS.Native.Autograd;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;
using BiGS.Native.Tokenization;
using BiGS.Native.Training;

namespace BiGS.Native.Inference;

/// <summary>One candidate token for a [MASK].</summary>
/// <param name="TokenId">Vocabulary id.</param>
/// <param name="Token">The word piece.</param>
/// <param name="Probability">softmax(logits)[id] at the masked position.</param>
public sealed record FillMaskCandidate(int TokenId, string Token, double Probability);

/// <summary>The candidates for one [MASK], best first.</summary>
/// <param name="Position">Index of the [MASK] in the encoded sequence.</param>
/// <param name="Candidates">Top-k tokens by probability.</param>
public sealed record MaskPrediction(int Position, IReadOnlyList<FillMaskCandidate> Candidates);

/// <summary>
/// Fill-mask inference: encodes a text containing [MASK] tokens, runs the masked-LM model (evaluation mode, no
/// gradients) and returns the k most probable tokens, p = softmax(logits), for every [MASK]. Only the masked
/// positions go through the vocabulary projection.
/// </summary>
public sealed class FillMask
{
    private readonly BiGSPreTrainingHeadModel model;
    private readonly BertTokenizer tokenizer;

    /// <summary>Wraps a model with a masked-LM head (<see cref="BiGSForMaskedLM"/> or <see cref="BiGSForPreTraining"/>) and its tokenizer.</summary>
    /// <exception cref="ArgumentException">The model has no masked-LM head.</exception>
    public FillMask(BiGSPreTrainingHeadModel model, BertTokenizer tokenizer)
    {
        if (model.Cls.Predictions is null) throw new ArgumentException($"fill-mask needs a masked-LM head; {model.GetType().Name} has none", nameof(model));
        this.model = model;
        this.tokenizer = tokenizer;
    }

    /// <summary>
    /// The top-<paramref name="topK"/> tokens for each [MASK] of <paramref name="text"/>. With
    /// <paramref name="padToLength"/> the input is padded (and truncated) to that many tokens, as the authors'
    /// example pads to the model's maximum length; the BiGS SSM sees the padding, so results depend on it. Text
    /// beyond that length (or beyond max_position_embeddings) is truncated.
    /// </summary>
    /// <exception cref="ArgumentException">The text has no [MASK], or k is not positive.</exception>
    public IReadOnlyList<MaskPrediction> Predict(string text, int topK = 5, int? padToLength = null)
    {
        if (topK < 1) throw new ArgumentOutOfRangeException(nameof(topK), topK, "top-k must be at least 1");
        // longer texts are truncated to what the model's position table (or the padding length) allows
        var encoding = tokenizer.Encode(text, maxLength: padToLength ?? model.Config.MaxPositionEmbeddings,
            padToMaxLength: padToLength is not null, truncation: true);
        int[] positions = Enumerable.Range(0, encoding.InputIds.Length).Where(i => encoding.InputIds[i] == tokenizer.MaskId).ToArray();
        if (positions.Length == 0)
            throw new ArgumentException($"the text has no {tokenizer.Vocabulary.GetToken(tokenizer.MaskId)} token within its first {encoding.InputIds.Length} tokens: \"{text}\"");
        int count = encoding.InputIds.Length;
        var input = new BiGSInput(Tensor.FromInts(encoding.InputIds, 1, count))
        {
            TokenTypeIds = Tensor.FromInts(encoding.TokenTypeIds, 1, count),
            AttentionMask = Tensor.FromInts(encoding.AttentionMask, 1, count),
        };
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            using var scope = new TensorScope();
            using var noGrad = GradMode.NoGrad();
            var logits = MaskedLanguageModelingObjective.LogitsAt(model, input, positions).Value;
            float[] probabilities = Tensor.Softmax(logits).ToArray();
            int vocab = logits.Size(-1);
            return positions.Select((position, row) =>
                new MaskPrediction(position, TopK(probabilities.AsSpan(row * vocab, vocab), Math.Min(topK, vocab)))).ToList();
        }
        finally
        {
            model.Train(wasTraining);
        }
    }

    private List<FillMaskCandidate> TopK(ReadOnlySpan<float> probabilities, int k)
    {
        var best = new PriorityQueue<int, float>(k + 1); // min-heap of the k largest so far
        for (int id = 0; id < probabilities.Length; id++)
        {
            best.Enqueue(id, probabilities[id]);
            if (best.Count > k) best.Dequeue();
        }
        var result = new List<FillMaskCandidate>(k);
        while (best.TryDequeue(out int id, out float p))
            result.Add(new FillMaskCandidate(id, tokenizer.Vocabulary.GetToken(id), p));
        result.Reverse();
        return result;
    }
}
