namespace BiGS.Native.Bench;

/// <summary>
/// The matrix products of one BiGS-base forward step (12 layers, d 768, I 3072, vocabulary 30522) on T tokens,
/// each with how many times a step runs it. Every Dense is y = x W^T with W stored (out, in), so B is transposed.
/// </summary>
public static class ModelGemmShapes
{
    private const int Layers = 12, Hidden = 768, Inner = 3072, Vocabulary = 30522;

    /// <summary>(shape, calls per forward step) for <paramref name="tokens"/> = B * L.</summary>
    public static IReadOnlyList<(GemmShape Shape, int Calls)> BaseForward(int tokens) =>
    [
        (new GemmShape(tokens, Hidden, Inner), 2 * Layers),       // dv, dol
        (new GemmShape(tokens, Hidden, Hidden), 4 * Layers + 1),  // du_forward, du_backward, duc_forward, duc_backward; head transform
        (new GemmShape(tokens, Inner, Hidden), Layers),           // do
        (new GemmShape(tokens, Hidden, Vocabulary), 1),           // MLM decoder (tied word embeddings)
    ];
}
