using BiGS.Native.Autograd;
using BiGS.Native.Tensors;

namespace BiGS.Native.Training;

/// <summary>
/// Global-norm gradient clipping on the gradients' device: the squared norm is reduced there and the clip factor is
/// applied by a kernel that reads it there, so nothing is read back unless the caller reads the returned norm.
/// Gradients that lie back to back in one buffer (the flat gradient buffer of <see cref="AdamW"/>)
/// are reduced and scaled as one tensor: one reduction and one scaling launch for all of them.
/// </summary>
public static class GradientClipping
{
    /// <summary>
    /// sum over parameters of sum(g^2), as a one-element tensor on the gradients' device (a CPU zero when no parameter
    /// has a gradient).
    /// </summary>
    public static Tensor SumOfSquares(IEnumerable<Parameter> parameters) => SumOfSquares(GradientRuns(parameters));

    /// <summary>The L2 norm of all gradients together, sqrt(sum over parameters of sum(g^2)), one element on their device.</summary>
    public static Tensor GlobalNorm(IEnumerable<Parameter> parameters) => SumOfSquares(parameters).Sqrt();

    /// <summary>
    /// When the global norm n exceeds <paramref name="maxNorm"/> (and is finite), scales every gradient by maxNorm / n
    /// so the global norm becomes maxNorm. Returns the norm before clipping, one element on the gradients' device.
    /// </summary>
    public static Tensor ClipGlobalNorm(IEnumerable<Parameter> parameters, float maxNorm)
    {
        if (!(maxNorm > 0f)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "the clipping norm must be positive");
        var runs = GradientRuns(parameters);
        var sumOfSquares = SumOfSquares(runs);
        foreach (var run in runs) run.ClipToNormInPlace(sumOfSquares, maxNorm);
        return sumOfSquares.Sqrt();
    }

    /// <summary>The parameters' gradients, those lying back to back in one buffer joined into one tensor.</summary>
    private static List<Tensor> GradientRuns(IEnumerable<Parameter> parameters) =>
        Tensor.JoinAdjacentViews(parameters.Select(p => p.Grad).OfType<Tensor>());

    /// <summary>sum(g^2) over every tensor of <paramref name="runs"/>, one reduction each, into one element on their device.</summary>
    private static Tensor SumOfSquares(List<Tensor> runs)
    {
        if (runs.Count == 0) return Tensor.Zeros(Device.Cpu, 1);
        var total = Tensor.Empty(DType.Float32, runs[0].Device, 1);
        for (int i = 0; i < runs.Count; i++) runs[i].AddSumOfSquaresTo(total, accumulate: i > 0);
        return total;
    }
}
