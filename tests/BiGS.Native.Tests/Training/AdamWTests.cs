using BiGS.Native.Autograd;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;
using BiGS.Native.Training;
using Xunit;

namespace BiGS.Native.Tests.Training;

public class AdamWTests : IDisposable
{
    private readonly TemporaryDirectory work = new();

    /// <inheritdoc />
    public void Dispose() => work.Dispose();

    /// <summary>Plain double AdamW, the textbook equations, for one parameter.</summary>
    private static void ReferenceStep(double[] p, double[] g, double[] m, double[] v, double lr, double b1, double b2, double eps, double wd, int t)
    {
        for (int i = 0; i < p.Length; i++)
        {
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            double mhat = m[i] / (1 - Math.Pow(b1, t)), vhat = v[i] / (1 - Math.Pow(b2, t));
            p[i] -= lr * (mhat / (Math.Sqrt(vhat) + eps) + wd * p[i]);
        }
    }

    [Fact]
    public void Three_steps_over_two_groups_match_a_double_reference()
    {
        var rng = new Random(5);
        double[] Values(int n) => Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        double[] p1 = Values(11), p2 = Values(5);
        var a = new Parameter("a", Tensor.FromArray(p1.Select(x => (float)x).ToArray(), 11));
        var b = new Parameter("b", Tensor.FromArray(p2.Select(x => (float)x).ToArray(), 5));
        var options = new AdamWOptions { Beta1 = 0.9f, Beta2 = 0.98f, Epsilon = 1e-6f };
        var optimizer = new AdamW([new ParameterGroup([a], 1f, 0.05f), new ParameterGroup([b], 0.25f, 0f)], options);
        double[] m1 = new double[11], v1 = new double[11], m2 = new double[5], v2 = new double[5];
        float[] rates = [1e-2f, 5e-3f, 2e-3f];
        for (int t = 1; t <= 3; t++)
        {
            double[] g1 = Values(11), g2 = Values(5);
            a.Grad = Tensor.FromArray(g1.Select(x => (float)x).ToArray(), 11);
            b.Grad = Tensor.FromArray(g2.Select(x => (float)x).ToArray(), 5);
            // the float parameters are the reference's starting point each step, so only one step's rounding is compared
            p1 = a.Value.ToArray().Select(x => (double)x).ToArray();
            p2 = b.Value.ToArray().Select(x => (double)x).ToArray();
            optimizer.Step(rates[t - 1]);
            ReferenceStep(p1, g1.Select(x => (double)(float)x).ToArray(), m1, v1, (float)rates[t - 1], 0.9f, 0.98f, 1e-6f, 0.05f, t);
            ReferenceStep(p2, g2.Select(x => (double)(float)x).ToArray(), m2, v2, rates[t - 1] * 0.25f, 0.9f, 0.98f, 1e-6f, 0f, t);
            TestData.AssertClose(p1.Select(x => (float)x).ToArray(), a.Value.ToArray(), 1e-6, 1e-5, $"a step {t}");
            TestData.AssertClose(p2.Select(x => (float)x).ToArray(), b.Value.ToArray(), 1e-6, 1e-5, $"b step {t}");
        }
        Assert.Equal(3, optimizer.StepCount);
    }

    [Fact]
    public void Decay_mask_excludes_biases_and_layer_norms_and_ssm_group_is_separate()
    {
        var model = new BiGSForMaskedLM(TrainingTestKit.Config());
        var optimizer = AdamW.ForModel(model, new AdamWOptions { WeightDecay = 0.05f, SsmLearningRateMultiplier = 0.1f });
        var names = model.NamedParameters().ToDictionary(p => p.Parameter, p => p.Name, ReferenceEqualityComparer.Instance as IEqualityComparer<Parameter>);
        var groups = optimizer.Groups.Select(g => g.Parameters.Select(p => names[p]).ToHashSet()).ToList();
        Assert.Equal(3, groups.Count);
        Assert.Contains("bigs.encoder.layer.0.dv.weight", groups[0]);
        Assert.Contains("bigs.embeddings.word_embeddings.weight", groups[0]);
        Assert.Contains("bigs.encoder.layer.0.fs4.kernel.C", groups[0]);
        Assert.Contains("bigs.encoder.layer.0.dv.bias", groups[1]);
        Assert.Contains("bigs.embeddings.LayerNorm.weight", groups[1]);
        Assert.Contains("cls.predictions.transform.LayerNorm.weight", groups[1]);
        Assert.Contains("cls.predictions.bias", groups[1]);
        Assert.Equal(["A_im", "A_re", "log_step"], groups[2].Select(n => n[(n.LastIndexOf('.') + 1)..]).Distinct().Order());
        Assert.Equal(model.NamedParameters().Count(), groups.Sum(g => g.Count));
        Assert.Equal([0.05f, 0f, 0f], optimizer.Groups.Select(g => g.WeightDecay));
        Assert.Equal([1f, 1f, 0.1f], optimizer.Groups.Select(g => g.LearningRateMultiplier));
        Assert.Equal(2, AdamW.ForModel(model, new AdamWOptions()).Groups.Count);
    }

    [Fact]
    public void Saved_state_restores_moments_and_step_count()
    {
        var p = new Parameter("w", Tensor.FromArray([1f, -2f, 3f], 3));
        var first = new AdamW([new ParameterGroup([p], 1f, 0.01f)], new AdamWOptions());
        p.Grad = Tensor.FromArray([0.5f, 0.1f, -0.3f], 3);
        first.Step(0.1f);
        first.Step(0.1f);
        string path = Path.Combine(work.Subdirectory(), "optimizer.safetensors");
        first.SaveState(path);

        var q = new Parameter("w", p.Value.Clone());
        var second = new AdamW([new ParameterGroup([q], 1f, 0.01f)], new AdamWOptions());
        second.LoadState(path);
        Assert.Equal(2, second.StepCount);
        q.Grad = p.Grad.Clone();
        first.Step(0.05f);
        second.Step(0.05f);
        Assert.Equal(p.Value.ToArray(), q.Value.ToArray());
    }

    [Fact]
    public void Loading_state_of_another_shape_names_the_tensor()
    {
        var p = new Parameter("w", Tensor.Zeros(3));
        string path = Path.Combine(work.Subdirectory(), "optimizer.safetensors");
        new AdamW([new ParameterGroup([p], 1f, 0f)], new AdamWOptions(), new Dictionary<Parameter, string> { [p] = "w" }).SaveState(path);
        var other = new Parameter("w", Tensor.Zeros(4));
        var error = Assert.Throws<BiGS.Native.Checkpoints.CheckpointFormatException>(() =>
            new AdamW([new ParameterGroup([other], 1f, 0f)], new AdamWOptions(), new Dictionary<Parameter, string> { [other] = "w" }).LoadState(path));
        Assert.Contains("m.w", error.Message);
    }
}
