using BiGS.Native.Autograd;
using BiGS.Native.Tensors;

namespace BiGS.Native.Training;

/// <summary>Global-norm gradient clipping.</summary>
public static class GradientClipping
{
    /// <summary>The L2 norm of all gradients together: sqrt(sum over parameters of sum(g^2)), in double.</summary>
    public static double GlobalNorm(IEnumerable<Parameter> parameters)
    {
        double sumOfSquares = 0;
        using (new TensorScope())
            foreach (var parameter in parameters)
                if (parameter.Grad is { } grad)
                    sumOfSquares += (grad * grad).SumAll().Item();
        return Math.Sqrt(sumOfSquares);
    }

    /// <summary>
    /// When the global norm n exceeds <paramref name="maxNorm"/>, scales every gradient by maxNorm / n so the
    /// global norm becomes maxNorm. Returns the norm before clipping.
    /// </summary>
    public static double ClipGlobalNorm(IEnumerable<Parameter> parameters, float maxNorm)
    {
        if (!(maxNorm > 0f)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "the clipping norm must be positive");
        var list = parameters as IReadOnlyCollection<Parameter> ?? parameters.ToList();
        double norm = GlobalNorm(list);
        if (norm <= maxNorm || !double.IsFinite(norm)) return norm;
        float scale = (float)(maxNorm / norm);
        foreach (var parameter in list)
            parameter.Grad?.AddScaledInPlace(parameter.Grad, scale - 1f); // g + (s - 1) g = s g
        return norm;
    }
}
