using BiGS.Native.Modeling;
using BiGS.Native.Tensors;

namespace BiGS.Native.Benchmarking;

/// <summary>What <see cref="ModelBenchmark"/> measures: a model shape, a batch shape, and forward-only or training steps.</summary>
public sealed record ModelBenchmarkOptions
{
    /// <summary>The model to build (randomly initialised).</summary>
    public required BiGSConfig Config { get; init; }

    /// <summary>The device the model, the batch and every step's work live on (the CPU unless given).</summary>
    public Device Device { get; init; } = Device.Cpu;

    /// <summary>Sequences per step (B).</summary>
    public int Batch { get; init; } = 8;

    /// <summary>Tokens per sequence (L).</summary>
    public int Length { get; init; } = 128;

    /// <summary>Full training steps (masked-LM loss, backward, AdamW update) instead of forward-only inference.</summary>
    public bool Train { get; init; }

    /// <summary>Untimed steps before the timed ones (JIT, pools, caches).</summary>
    public int Warmup { get; init; } = 1;

    /// <summary>Timed steps; the median is reported.</summary>
    public int Runs { get; init; } = 5;

    /// <summary>Fraction of positions that carry a masked-LM label in training steps (BERT's 15%).</summary>
    public double MaskedFraction { get; init; } = 0.15;

    /// <summary>
    /// On a GPU device, one more step after the timed ones with every kernel launch timed on the device
    /// (<see cref="IDeviceActivityCounters.TimesKernels"/>), reported apart from them: where a step's device time goes, by
    /// kernel. Its markers cost host time per launch, so its wall time is not the step's.
    /// </summary>
    public bool ProfileKernels { get; init; }

    /// <summary>Seed of the model's initialisation and of the synthetic batch.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (Batch < 1) throw new ArgumentException($"batch must be at least 1, got {Batch}");
        if (Length < 1) throw new ArgumentException($"length must be at least 1, got {Length}");
        if (Warmup < 0) throw new ArgumentException($"warmup must be at least 0, got {Warmup}");
        if (Runs < 1) throw new ArgumentException($"runs must be at least 1, got {Runs}");
        if (MaskedFraction is <= 0 or > 1) throw new ArgumentException($"masked fraction must be in (0, 1], got {MaskedFraction}");
        Config.Validate();
    }
}
