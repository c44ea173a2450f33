using BiGS.Native.Kernels.Cpu;

namespace BiGS.Native.Tensors;

/// <summary>
/// What a matrix product does with its result before storing it (fused into the GEMM where the device can):
/// <code>
/// z = Alpha op(a) op(b) + Beta c          (Product, when given, receives z)
/// c = act(z + Bias) * Gate + Residual     (act = Activation, identity when null)
/// </code>
/// Bias is (n), broadcast over rows; Gate, Residual and Product have c's shape; an epilogue takes at most one of Gate
/// and Residual. All tensors are float32, contiguous, on the GEMM's device. With Beta 0 the old contents of c are not read.
/// </summary>
public sealed record GemmEpilogue
{
    /// <summary>The plain product c = op(a) op(b).</summary>
    public static GemmEpilogue None { get; } = new();

    /// <summary>Scale of the product.</summary>
    public float Alpha { get; init; } = 1f;

    /// <summary>Scale of c's old contents added to the product (1 accumulates into c, e.g. a gradient).</summary>
    public float Beta { get; init; }

    /// <summary>Per-column bias (n), or null.</summary>
    public Tensor? Bias { get; init; }

    /// <summary>GELU applied after the bias, or null for none.</summary>
    public GeluKind? Activation { get; init; }

    /// <summary>
    /// Multiplies the activation elementwise (same shape as c), or null: the gate product of a gated unit such as
    /// BiGS's <c>gelu(dol(.)) * v</c>.
    /// </summary>
    public Tensor? Gate { get; init; }

    /// <summary>Added after the activation (same shape as c), or null.</summary>
    public Tensor? Residual { get; init; }

    /// <summary>
    /// Receives z = Alpha op(a) op(b) + Beta c before bias, activation and residual (same shape as c), or null; what a
    /// fused <c>gelu(x W^T + b)</c> keeps for its backward pass.
    /// </summary>
    public Tensor? Product { get; init; }

    /// <summary>True when the epilogue does more than alpha/beta scaling.</summary>
    public bool HasPointwiseStage => Bias is not null || Activation is not null || Gate is not null || Residual is not null || Product is not null;
}
