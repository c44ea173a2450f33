using System.Diagnostics;
using BiGS.Native.Autograd;
using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;
using BiGS.Native.Training;

namespace BiGS.Native.Benchmarking;

/// <summary>
/// Times whole-model steps of a randomly initialised <see cref="BiGSForMaskedLM"/> on a synthetic batch:
/// forward-only inference (no gradients), or full training steps (masked-LM loss on a fraction of the positions,
/// backward, global-norm clipping at the trainer's default norm 1, AdamW update), on the CPU or a GPU device. Every step runs in its own <see cref="TensorScope"/>, as a
/// real loop would, and ends by reading one value back to the host (a logit, or the loss after the update), which on a
/// GPU waits for the step's kernels: the time of a step is the time to its result. On a GPU device each timed step's
/// kernel launches and host-device copies are counted too (<see cref="IDeviceActivityCounters"/>).
/// </summary>
public sealed class ModelBenchmark
{
    private const float LearningRate = 1e-4f;

    private readonly ModelBenchmarkOptions options;
    private readonly BiGSForMaskedLM model;
    private readonly BiGSInput batch;
    private readonly MaskedLanguageModelingObjective objective = new();
    private readonly AdamW? optimizer;

    /// <summary>Builds the model (its position table widened to the benchmark length if needed) and the batch, on the options' device.</summary>
    public ModelBenchmark(ModelBenchmarkOptions options)
    {
        options.Validate();
        this.options = options;
        var config = options.Config.Clone();
        config.MaxPositionEmbeddings = Math.Max(config.MaxPositionEmbeddings, options.Length);
        model = new BiGSForMaskedLM(config, options.Seed);
        model.To(options.Device);
        batch = SyntheticBatch(config.VocabSize, options, new Rng(options.Seed + 1));
        if (options.Train)
        {
            model.Train();
            optimizer = AdamW.ForModel(model, new AdamWOptions());
        }
        else
        {
            model.Eval();
        }
    }

    /// <summary>The randomly initialised model being measured.</summary>
    public BiGSForMaskedLM Model => model;

    /// <summary>Runs the warm-up steps, then the timed ones, and reports their times, the peak memory and (on a GPU) each timed step's launches and copies.</summary>
    public ModelBenchmarkResult Run()
    {
        float lastValue = 0f;
        for (int i = 0; i < options.Warmup; i++) Step();
        var seconds = new double[options.Runs];
        var cpuSeconds = new double[options.Runs];
        var activityCounters = options.Device.Backend as IDeviceActivityCounters;
        var activity = new List<DeviceActivity>();
        using var process = Process.GetCurrentProcess();
        for (int i = 0; i < options.Runs; i++)
        {
            var activityBefore = activityCounters?.ReadActivity();
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            lastValue = Step();
            seconds[i] = watch.Elapsed.TotalSeconds;
            process.Refresh();
            cpuSeconds[i] = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
            if (activityBefore is not null) activity.Add(activityCounters!.ReadActivity().Since(activityBefore));
        }
        process.Refresh();
        var device = options.Device.Backend as IDeviceMemoryCounters;
        return new ModelBenchmarkResult(options, CpuParallel.ThreadCount, seconds, cpuSeconds, process.PeakWorkingSet64)
        {
            DevicePeakInUseBytes = device?.PeakInUseBytes,
            DevicePeakReservedBytes = device?.PeakReservedBytes,
            StepActivity = activityCounters is null ? null : activity,
            LastStepValue = lastValue,
            ProfiledStep = options.ProfileKernels && activityCounters is not null ? ProfiledStep(activityCounters) : null,
        };
    }

    /// <summary>One more step with every kernel launch timed on the device; its activity and wall time.</summary>
    private ProfiledStep ProfiledStep(IDeviceActivityCounters counters)
    {
        var before = counters.ReadActivity();
        counters.TimesKernels = true;
        try
        {
            var watch = Stopwatch.StartNew();
            Step();
            var wall = watch.Elapsed.TotalSeconds;
            return new ProfiledStep(counters.ReadActivity().Since(before), wall);
        }
        finally
        {
            counters.TimesKernels = false;
        }
    }

    /// <summary>One forward pass, or one training update, up to reading its first logit or its loss on the host (returned).</summary>
    private float Step()
    {
        using var scope = new TensorScope();
        if (optimizer is null)
        {
            using (GradMode.NoGrad()) return model.Forward(batch with { Labels = null }).Logits!.Value[0, 0, 0];
        }
        optimizer.ZeroGrad();
        // The forward's memory goes back to the pool during the sweep, so the step's peak is near the forward's end.
        var loss = objective.Compute(model, batch).Loss;
        loss.Backward(releaseGraph: true);
        GradientClipping.ClipGlobalNorm(optimizer.Parameters(), TrainerOptions.DefaultGradientClipNorm);
        optimizer.Step(LearningRate);
        return loss.Value.Item();
    }

    /// <summary>
    /// Uniformly random token ids, and labels (random ids) at round(fraction * B * L) distinct random positions
    /// (at least one), -100 elsewhere. The ids are put on the device beforehand (their upload is not timed); the labels
    /// stay on the host, where pretraining's batch sources make them: the objective reads the masked positions there,
    /// so a step reads nothing back from the device before its loss.
    /// </summary>
    internal static BiGSInput SyntheticBatch(int vocabSize, ModelBenchmarkOptions options, Rng rng)
    {
        int count = options.Batch * options.Length;
        var ids = new int[count];
        for (int i = 0; i < count; i++) ids[i] = rng.NextInt(vocabSize);
        var labels = Enumerable.Repeat(PredictionAccuracy.IgnoreIndex, count).ToArray();
        int masked = Math.Max(1, (int)Math.Round(options.MaskedFraction * count));
        foreach (int position in ShuffledPositions(count, rng).Take(masked)) labels[position] = rng.NextInt(vocabSize);
        return new BiGSInput(Tensor.FromInts(ids, options.Batch, options.Length).To(options.Device).KeepAlive())
        {
            Labels = Tensor.FromInts(labels, options.Batch, options.Length).KeepAlive(),
        };
    }

    /// <summary>0..count-1 in a random order (Fisher-Yates).</summary>
    private static int[] ShuffledPositions(int count, Rng rng)
    {
        var order = Enumerable.Range(0, count).ToArray();
        for (int i = count - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
