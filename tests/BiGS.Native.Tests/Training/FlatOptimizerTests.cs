using BiGS.Native.Autograd;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;
using BiGS.Native.Tests.Gpu;
using BiGS.Native.Training;
using Xunit;

namespace BiGS.Native.Tests.Training;

/// <summary>
/// The optimizer's flat buffers on each device: a model's gradients and moments become views of flat buffers, its
/// values stay where they are (rearranged within their buffer on a device); AdamW over them gives exactly the
/// per-parameter update, global-norm clipping matches a double reference, and the tensor-level sum of squares matches
/// a double sum at awkward lengths.
/// </summary>
public abstract class FlatOptimizerTests
{
    private readonly Rng rng = new(41);

    /// <summary>The device under test: the CPU, or the class's GPU target.</summary>
    private Device Device => TestDevices.For(GetType());

    [GpuFact]
    public void Sum_of_squares_matches_a_double_sum_at_awkward_lengths()
    {
        foreach (int n in new[] { 1, 7, 33, 1000, 100003 })
        {
            var host = Tensor.RandomNormal(rng, 0f, 1f, n).ToArray();
            double expected = host.Sum(x => (double)x * x);
            var x = Tensor.FromArray(host, n).To(Device);
            Assert.Equal(expected, x.SumOfSquares().Item(), expected * 1e-6);

            var total = Tensor.FromArray([2.5f], 1).To(Device);
            x.AddSumOfSquaresTo(total);
            Assert.Equal(2.5 + expected, total.Item(), (2.5 + expected) * 1e-6);
        }
    }

    [GpuFact]
    public void AdamW_over_flat_buffers_equals_the_per_parameter_update_in_every_group()
    {
        var (model, optimizer) = TinyModelWithOptimizer();
        var parameters = optimizer.Parameters().ToList();
        var lonely = parameters[parameters.Count / 2];   // never gets a gradient: stays as it is
        var reference = parameters.ToDictionary(p => p, p => (Value: p.Value.Clone(), M: Tensor.ZerosLike(p.Value), V: Tensor.ZerosLike(p.Value)),
            ReferenceEqualityComparer.Instance as IEqualityComparer<Parameter>);
        var group = optimizer.Groups.SelectMany(g => g.Parameters.Select(p => (p, g))).ToDictionary(x => x.p, x => x.g,
            ReferenceEqualityComparer.Instance as IEqualityComparer<Parameter>);
        var options = optimizer.Options;
        float[] rates = [1e-2f, 3e-3f, 1e-3f];
        for (int t = 1; t <= rates.Length; t++)
        {
            optimizer.ZeroGrad();
            foreach (var p in parameters.Where(p => !ReferenceEquals(p, lonely)))
                p.EnsureGrad().CopyFrom(Tensor.RandomNormal(rng, 0f, 1f, p.Value.ShapeArray()));
            optimizer.Step(rates[t - 1]);
            foreach (var p in parameters.Where(p => p.Grad is not null))
            {
                var (value, m, v) = reference[p];
                Tensor.AdamWStep(value, p.Grad!, m, v, rates[t - 1] * group[p].LearningRateMultiplier, options.Beta1, options.Beta2,
                    options.Epsilon, group[p].WeightDecay, t);
            }
            foreach (var p in parameters)
                Assert.True(reference[p].Value.ToArray().AsSpan().SequenceEqual(p.Value.ToArray()), $"{p.Name} differs after step {t}");
        }
        Assert.Null(lonely.Grad);
        Assert.Equal(3, optimizer.Groups.Count(g => g.Parameters.Count > 0));
        model.Dispose();
    }

    [GpuFact]
    public void Clipping_the_flat_gradients_matches_a_double_reference()
    {
        var (model, optimizer) = TinyModelWithOptimizer();
        var parameters = optimizer.Parameters().ToList();
        foreach (var p in parameters) p.EnsureGrad().CopyFrom(Tensor.RandomNormal(rng, 0f, 1f, p.Value.ShapeArray()));
        Assert.Single(Tensor.JoinAdjacentViews(parameters.Select(p => p.Grad!)));   // one flat gradient buffer
        var before = parameters.Select(p => p.Grad!.ToArray()).ToList();
        double norm = Math.Sqrt(before.Sum(g => g.Sum(x => (double)x * x)));
        float maxNorm = (float)(norm / 3);

        Assert.Equal(norm, GradientClipping.ClipGlobalNorm(parameters, maxNorm).Item(), norm * 1e-5);
        for (int i = 0; i < parameters.Count; i++)
            TestData.AssertClose(before[i].Select(g => g * maxNorm / norm).ToArray(), parameters[i].Grad!.ToArray(), 1e-6, 1e-5, parameters[i].Name);

        optimizer.ZeroGrad();
        Assert.All(parameters, p => Assert.All(p.Grad!.ToArray(), g => Assert.Equal(0f, g)));
        model.Dispose();
    }

    [GpuFact]
    public void Saved_state_of_flat_moments_restores_into_a_new_model_and_optimizer()
    {
        var (first, firstOptimizer) = TinyModelWithOptimizer();
        var (second, secondOptimizer) = TinyModelWithOptimizer();
        for (int t = 0; t < 2; t++) StepWithGradients(firstOptimizer, seed: t);
        string path = Path.Combine(Path.GetTempPath(), $"adamw-{Guid.NewGuid():N}.safetensors");
        try
        {
            firstOptimizer.SaveState(path);
            secondOptimizer.LoadState(path);
        }
        finally
        {
            File.Delete(path);
        }
        var secondParameters = second.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (name, parameter) in first.NamedParameters()) secondParameters[name].Value.CopyFrom(parameter.Value);
        StepWithGradients(firstOptimizer, seed: 5);
        StepWithGradients(secondOptimizer, seed: 5);
        Assert.Equal(firstOptimizer.StepCount, secondOptimizer.StepCount);
        foreach (var (name, parameter) in first.NamedParameters())
            Assert.True(parameter.Value.ToArray().AsSpan().SequenceEqual(secondParameters[name].Value.ToArray()), $"{name} differs");
        first.Dispose();
        second.Dispose();
    }

    [GpuFact]
    public void Keeping_a_share_of_the_state_packs_it_and_updates_only_that_share()
    {
        var (model, optimizer) = TinyModelWithOptimizer();
        var parameters = optimizer.Parameters().ToList();
        var kept = parameters.Where((_, i) => i % 3 == 0).ToHashSet(ReferenceEqualityComparer.Instance);
        StepWithGradients(optimizer, seed: 1);
        var moments = parameters.Where(kept.Contains).ToDictionary(p => p, p => optimizer.StateOf(p)!.Value.M.ToArray());
        optimizer.KeepStateOnlyFor(kept.Contains);

        Assert.Equal(2L * sizeof(float) * parameters.Where(kept.Contains).Sum(p => p.Value.Count), optimizer.StateBytes);
        Assert.Single(Tensor.JoinAdjacentViews(parameters.Where(kept.Contains).Select(p => optimizer.StateOf(p)!.Value.M)));
        Assert.All(moments, pair => Assert.Equal(pair.Value, optimizer.StateOf(pair.Key)!.Value.M.ToArray()));
        var before = parameters.Select(p => p.Value.ToArray()).ToList();
        StepWithGradients(optimizer, seed: 2);
        for (int i = 0; i < parameters.Count; i++)
            Assert.Equal(kept.Contains(parameters[i]), !before[i].AsSpan().SequenceEqual(parameters[i].Value.ToArray()));
        model.Dispose();
    }

    [GpuFact]
    public void Building_the_optimizer_copies_no_value_and_keeps_every_value()
    {
        var model = new BiGSForMaskedLM(TrainingTestKit.Config());
        model.To(Device);
        var parameters = model.Parameters().ToList();
        var storages = parameters.Select(p => p.Value.Storage).ToHashSet(ReferenceEqualityComparer.Instance);
        var values = parameters.Select(p => p.Value.ToArray()).ToList();

        AdamW.ForModel(model, new AdamWOptions { SsmLearningRateMultiplier = 0.1f });

        Assert.All(parameters, p => Assert.Contains(p.Value.Storage, storages));   // no new buffer of values
        Assert.All(parameters, p => Assert.False(p.Value.Storage.IsDisposed));
        for (int i = 0; i < parameters.Count; i++) Assert.Equal(values[i], parameters[i].Value.ToArray());
        model.Dispose();
    }

    [GpuFact]
    public void Values_shared_with_another_model_stay_where_they_are()
    {
        var model = new BiGSForMaskedLM(TrainingTestKit.Config());
        model.To(Device);
        var twin = new BiGSForMaskedLM(TrainingTestKit.Config());
        twin.To(Device);
        var parameters = model.Parameters().ToList();
        var twinParameter = twin.Parameters().First();
        twinParameter.Assign(parameters[0].Value);   // as a fine-tuned model copies a pretrained one's values
        var views = parameters.Select(p => p.Value).ToList();
        var expected = parameters[0].Value.ToArray();

        AdamW.ForModel(model, new AdamWOptions());

        Assert.All(parameters.Zip(views), pair => Assert.Same(pair.Second, pair.First.Value));
        Assert.Equal(expected, twinParameter.Value.ToArray());
        twin.Dispose();
        model.Dispose();
    }

    /// <summary>The tiny test model on the device, its optimizer with all three groups (SSM learning-rate multiplier set).</summary>
    private (BiGSForMaskedLM Model, AdamW Optimizer) TinyModelWithOptimizer()
    {
        var model = new BiGSForMaskedLM(TrainingTestKit.Config());
        model.To(Device);
        return (model, AdamW.ForModel(model, new AdamWOptions { WeightDecay = 0.05f, SsmLearningRateMultiplier = 0.1f }));
    }

    /// <summary>One zero-grad, random gradients for every parameter (drawn from <paramref name="seed"/>) and a step.</summary>
    private static void StepWithGradients(AdamW optimizer, int seed)
    {
        var draw = new Rng((ulong)(1000 + seed));
        optimizer.ZeroGrad();
        foreach (var p in optimizer.Parameters()) p.EnsureGrad().CopyFrom(Tensor.RandomNormal(draw, 0f, 1f, p.Value.ShapeArray()));
        optimizer.Step(1e-3f);
    }
}

/// <summary>The flat optimizer on the CPU.</summary>
public sealed class FlatOptimizerCpuTests : FlatOptimizerTests;

/// <summary>The flat optimizer on ILGPU's CPU accelerator.</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class FlatOptimizerIlgpuCpuTests : FlatOptimizerTests;

/// <summary>The flat optimizer on CUDA.</summary>
[GpuTarget(DeviceKind.Cuda)]
public sealed class FlatOptimizerCudaTests : FlatOptimizerTests;

/// <summary>
/// On a GPU backend (which counts launches), a model moved there has its values in one buffer, and the optimizer's
/// share of an update over it is a fixed handful of launches, whatever the number of parameter tensors.
/// </summary>
public abstract class FlatOptimizerLaunchTests : GpuParityTests
{
    [GpuFact]
    public void Moving_a_model_packs_its_values_into_one_buffer_that_the_optimizer_arranges_group_by_group()
    {
        var model = new BiGSForMaskedLM(TrainingTestKit.Config());
        var expected = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Value.ToArray());
        var hostStorages = model.Parameters().Select(p => p.Value.Storage).ToList();
        model.To(Gpu);
        Assert.All(hostStorages, storage => Assert.True(storage.IsDisposed));
        Assert.Single(Tensor.JoinAdjacentViews(model.Parameters().Select(p => p.Value)));   // in parameter order
        Assert.All(model.NamedParameters(), p => Assert.Equal(expected[p.Name], p.Parameter.Value.ToArray()));

        var optimizer = AdamW.ForModel(model, new AdamWOptions { SsmLearningRateMultiplier = 0.1f });

        Assert.Single(Tensor.JoinAdjacentViews(optimizer.Parameters().Select(p => p.Value)));   // in group order
        Assert.All(model.NamedParameters(), p => Assert.Equal(expected[p.Name], p.Parameter.Value.ToArray()));
        model.Dispose();
    }

    [GpuFact]
    public void Zeroing_clipping_and_stepping_launch_one_fill_one_reduction_one_scaling_and_one_adamw_per_group()
    {
        var model = new BiGSForMaskedLM(TrainingTestKit.Config());
        model.To(Gpu);
        var optimizer = AdamW.ForModel(model, new AdamWOptions { SsmLearningRateMultiplier = 0.1f });
        foreach (var p in optimizer.Parameters()) p.EnsureGrad().CopyFrom(Random(p.Value.ShapeArray()));
        var counters = (IDeviceActivityCounters)Gpu.Backend;

        var before = counters.ReadActivity();
        var norm = GradientClipping.ClipGlobalNorm(optimizer.Parameters(), 1f);
        optimizer.Step(1e-3f);
        optimizer.ZeroGrad();
        var activity = counters.ReadActivity().Since(before);

        Assert.True(optimizer.Parameters().Count() > 20, "the model has few parameter tensors");
        Assert.Equal(new Dictionary<string, long>
        {
            ["SumOfSquaresPartials"] = 1, ["AddPartials"] = 1, ["ClipToNorm"] = 1, ["Unary.Sqrt"] = 1, ["AdamW"] = 3, ["Fill"] = 1,
        }, activity.LaunchesByKernel);
        Assert.True(norm.Item() > 1f);
        model.Dispose();
    }
}

/// <summary>The optimizer's launches on ILGPU's CPU accelerator (its counters are shared, hence the collection).</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
[Collection(MemoryCountersCollection.Name)]
public sealed class FlatOptimizerLaunchIlgpuCpuTests : FlatOptimizerLaunchTests;

/// <summary>The optimizer's launches on CUDA.</summary>
[GpuTarget(DeviceKind.Cuda)]
[Collection(MemoryCountersCollection.Name)]
public sealed class FlatOptimizerLaunchCudaTests : FlatOptimizerLaunchTests;
