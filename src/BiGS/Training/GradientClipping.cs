using BiGS.Native.Autograd;
using BiGS.Native.Tensors;

namespace BiGS.Native.Training;

/// <summary>
/// Global-norm gradient clipping on the gradients' device: the squared norm is reduced there and the clip factor is
/// applied by a kernel that reads it there, so nothing is read back unless the caller reads the returned norm.
/// </summary>
public static class GradientClipping
{
    /// <summary>
    /// sum over parameters of sum(g^2), as a one-element tensor on the gradients' device (a CPU zero when no parameter
    /// has a gradient).
    /// </summary>
    public static Tensor SumOfSquares(IEnumerable<Parameter> parameters)
    {
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        var total = Tensor.Zeros(grads.Count > 0 ? grads[0].Device : Device.Cpu, 1);
        using (new TensorScope())
            foreach (var grad in grads)
                total.AddScaledInPlace((grad * grad).SumAll(), 1f);
        return total;
    }

    /// <summary>The L2 norm of all gradients together, sqrt(sum over parameters of sum(g^2)), one element on their device.</summary>
    public static Tensor GlobalNorm(IEnumerable<Parameter> parameters) => SumOfSquares(parameters).Sqrt();

    /// <summary>
    /// When the global norm n exceeds <paramref name="maxNorm"/> (and is finite), scales every gradient by maxNorm / n
    /// so the global norm becomes maxNorm. Returns the norm before clipping, one element on the gradients' device.
    /// </summary>
    public static Tensor ClipGlobalNorm(IEnumerable<Parameter> parameters, float maxNorm)
    {
        if (!(maxNorm > 0f)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "the clipping norm must be positive");
        var list = parameters as IReadOnlyCollection<Parameter> ?? parameters.ToList();
        var sumOfSquares = SumOfSquares(list);
        foreach (var parameter in list)
            parameter.Grad?.ClipToNormInPlace(sumOfSquares, maxNorm);
        return sumOfSquares.Sqrt();
    }
}
