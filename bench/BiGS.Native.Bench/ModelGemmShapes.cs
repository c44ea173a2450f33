namespace BiGS.Native.Bench;

/// <summary>
/// The matrix products of one BiGS forward step (12 layers) on T tokens, each with how many times a step runs it; by
/// default at BiGS-base widths (d 768, I 3072, vocabulary 30522). Every Dense is y = x W^T with W stored (out, in), so
/// B is transposed; each shape is (M = T, K = in, N = out).
/// </summary>
public static class ModelGemmShapes
{
    private const int Layers = 12;

    /// <summary>Hidden width d, inner width I and vocabulary size.</summary>
    public readonly record struct Widths(int Hidden, int Inner, int Vocabulary)
    {
        /// <summary>BiGS-base: d 768, I 3072, vocabulary 30522.</summary>
        public static Widths Base { get; } = new(768, 3072, 30522);
    }

    /// <summary>(shape, calls per forward step) of BiGS-base for <paramref name="tokens"/> = B * L.</summary>
    public static IReadOnlyList<(GemmShape Shape, int Calls)> BaseForward(int tokens) => Forward(tokens, Widths.Base);

    /// <summary>(shape, calls per forward step) at the given widths for <paramref name="tokens"/> = B * L.</summary>
    public static IReadOnlyList<(GemmShape Shape, int Calls)> Forward(int tokens, Widths widths) =>
    [
        (new GemmShape(tokens, widths.Hidden, widths.Inner), 2 * Layers),        // dv, dol
        (new GemmShape(tokens, widths.Hidden, widths.Hidden), 4 * Layers + 1),   // du_forward, du_backward, duc_forward, duc_backward; head transform
        (new GemmShape(tokens, widths.Inner, widths.Hidden), Layers),            // do
        (new GemmShape(tokens, widths.Hidden, widths.Vocabulary), 1),            // MLM decoder (tied word embeddings)
    ];
}
