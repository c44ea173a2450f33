using BiGS.Native.Tensors;

namespace BiGS.Native.Autograd;

/// <summary>Result of a gradient check for one input.</summary>
/// <param name="Input">Index of the input.</param>
/// <param name="MaxAbsError">max |analytic - numeric| over the probed elements.</param>
/// <param name="MaxRelativeError">MaxAbsError / max(max |numeric|, floor).</param>
/// <param name="Probes">Number of elements probed.</param>
public sealed record GradCheckResult(int Input, double MaxAbsError, double MaxRelativeError, int Probes);

/// <summary>
/// Compares the gradients from <see cref="Variable.Backward(bool)"/> with central differences
/// (f(x + eps e_i) - f(x - eps e_i)) / 2 eps. A non-scalar output is first reduced to the scalar sum(w * f(x))
/// with fixed random weights w, so every output element contributes. Float32 limits how tight this can be:
/// use it with eps around 1e-2 .. 1e-3 and relative tolerances around 1e-2.
/// </summary>
public static class GradCheck
{
    /// <summary>Runs the check; probes at most <paramref name="maxProbes"/> elements of each input.</summary>
    public static IReadOnlyList<GradCheckResult> Run(Func<Variable[], Variable> function, Tensor[] inputs,
        float eps = 1e-2f, int maxProbes = 64, ulong seed = 1234)
    {
        var rng = new Rng(seed);
        var probeWeights = ProbeWeights(function, inputs, rng);
        var analytic = AnalyticGradients(function, inputs, probeWeights);
        var results = new List<GradCheckResult>();
        for (int i = 0; i < inputs.Length; i++)
            results.Add(CompareInput(function, inputs, probeWeights, analytic[i], i, eps, maxProbes, rng));
        return results;
    }

    /// <summary>Runs the check and throws with a per-input report when any relative error exceeds the tolerance.</summary>
    public static void Assert(Func<Variable[], Variable> function, Tensor[] inputs, double tolerance = 1e-2,
        float eps = 1e-2f, int maxProbes = 64)
    {
        var results = Run(function, inputs, eps, maxProbes);
        if (results.All(r => r.MaxRelativeError <= tolerance)) return;
        var report = string.Join("; ", results.Select(r =>
            $"input {r.Input}: max abs {r.MaxAbsError:G3}, max rel {r.MaxRelativeError:G3} over {r.Probes} probes"));
        throw new InvalidOperationException($"gradient check failed (tolerance {tolerance:G3}): {report}");
    }

    private static Tensor ProbeWeights(Func<Variable[], Variable> function, Tensor[] inputs, Rng rng)
    {
        using var _ = GradMode.NoGrad();
        var shape = function(inputs.Select(t => new Variable(t)).ToArray()).Value.ShapeArray();
        return Tensor.RandomNormal(rng, 0f, 1f, shape);
    }

    private static Variable Objective(Func<Variable[], Variable> function, Variable[] inputs, Tensor weights) =>
        Ops.SumAll(Ops.Mul(function(inputs), new Variable(weights)));

    private static Tensor[] AnalyticGradients(Func<Variable[], Variable> function, Tensor[] inputs, Tensor weights)
    {
        var variables = inputs.Select(t => new Variable(t, requiresGrad: t.DType == DType.Float32)).ToArray();
        Objective(function, variables, weights).Backward();
        return variables.Select(v => v.Grad ?? Tensor.ZerosLike(v.Value)).ToArray();
    }

    private static double Evaluate(Func<Variable[], Variable> function, Tensor[] inputs, Tensor weights)
    {
        using var _ = GradMode.NoGrad();
        return Objective(function, inputs.Select(t => new Variable(t)).ToArray(), weights).Value.Item();
    }

    private static GradCheckResult CompareInput(Func<Variable[], Variable> function, Tensor[] inputs, Tensor weights,
        Tensor analytic, int index, float eps, int maxProbes, Rng rng)
    {
        if (inputs[index].DType != DType.Float32) return new GradCheckResult(index, 0, 0, 0);
        var analyticValues = analytic.ToArray();
        var original = inputs[index].Contiguous().ToArray();
        var probes = ProbeIndices(original.Length, maxProbes, rng);
        double maxAbs = 0, maxNumeric = 0;
        foreach (int p in probes)
        {
            double numeric = CentralDifference(function, inputs, weights, index, original, p, eps);
            maxAbs = Math.Max(maxAbs, Math.Abs(numeric - analyticValues[p]));
            maxNumeric = Math.Max(maxNumeric, Math.Abs(numeric));
        }
        return new GradCheckResult(index, maxAbs, maxAbs / Math.Max(maxNumeric, 1e-3), probes.Length);
    }

    private static double CentralDifference(Func<Variable[], Variable> function, Tensor[] inputs, Tensor weights,
        int index, float[] original, int element, float eps)
    {
        var shape = inputs[index].ShapeArray();
        double Shifted(float delta)
        {
            var values = (float[])original.Clone();
            values[element] += delta;
            var shifted = (Tensor[])inputs.Clone();
            shifted[index] = Tensor.FromArray(values, shape).To(inputs[index].Device);
            return Evaluate(function, shifted, weights);
        }
        return (Shifted(eps) - Shifted(-eps)) / (2.0 * eps);
    }

    private static int[] ProbeIndices(int count, int maxProbes, Rng rng) =>
        count <= maxProbes
            ? Enumerable.Range(0, count).ToArray()
            : Enumerable.Range(0, maxProbes).Select(_ => rng.NextInt(count)).Distinct().ToArray();
}
