using BiGS.Native.Autograd;
using BiGS.Native.Benchmarking;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;
using BiGS.Native.Training;

namespace BiGS.Native.Tests.Tensors;

/// <summary>The host memory counters are process-wide, so these tests run alone (no other test allocating meanwhile).</summary>
[Collection(MemoryCountersCollection.Name)]
public class HostMemoryTests
{
    [Fact]
    public void Disposing_a_tensor_moves_its_bytes_from_in_use_to_the_pool_and_ReleasePooled_drops_them()
    {
        HostMemory.ReleasePooled();
        long inUse = HostMemory.InUseBytes;
        var tensor = Tensor.Zeros(4096);
        Assert.Equal(inUse + 4096 * sizeof(float), HostMemory.InUseBytes);
        Assert.True(HostMemory.PeakBytes >= HostMemory.InUseBytes);

        tensor.Storage.Dispose();
        Assert.Equal(inUse, HostMemory.InUseBytes);
        Assert.Equal(4096 * sizeof(float), HostMemory.PooledBytes);

        var reused = Tensor.Zeros(4096); // the same length comes back from the pool
        Assert.Equal(0, HostMemory.PooledBytes);
        reused.Storage.Dispose();
        HostMemory.ReleasePooled();
        Assert.Equal(0, HostMemory.PooledBytes);
    }

    [Fact]
    public void A_releasing_training_step_peaks_lower_and_returns_all_but_the_gradients()
    {
        var config = new BiGSConfig { VocabSize = 64, HiddenSize = 32, NumHiddenLayers = 2, IntermediateSize = 64, NumSsm = 4, MaxPositionEmbeddings = 64, HiddenDropoutProb = 0f };
        var model = new BiGSForMaskedLM(config, seed: 2);
        var batch = ModelBenchmark.SyntheticBatch(config.VocabSize, new ModelBenchmarkOptions { Config = config, Batch = 2, Length = 64 }, new Rng(3));
        var (keepingPeak, _) = BackwardPeak(model, batch, releaseGraph: false); // also allocates the gradients once
        var (releasingPeak, leftInUse) = BackwardPeak(model, batch, releaseGraph: true);

        Assert.True(releasingPeak < keepingPeak, $"peak above the forward's end: {releasingPeak} bytes releasing vs {keepingPeak} keeping");
        // Within the step, after a releasing backward, only integer ids, positions and scalars are still in use on top of
        // what outlives the step (parameters, gradients): less than one (B, L, d) float activation.
        Assert.True(leftInUse < 2 * 64 * 32 * sizeof(float), $"{leftInUse} bytes still in use after a releasing backward");
    }

    /// <summary>
    /// Runs forward and backward in a scope from an empty pool; returns how far in-use + pooled bytes rose above the
    /// forward's end during the backward, and the bytes still in use right after it (before the scope closes) beyond
    /// those in use before the forward.
    /// </summary>
    private static (long Peak, long LeftInUse) BackwardPeak(BiGSForMaskedLM model, BiGSInput batch, bool releaseGraph)
    {
        HostMemory.ReleasePooled();
        long before = HostMemory.InUseBytes;
        using var scope = new TensorScope();
        var loss = new MaskedLanguageModelingObjective().Compute(model, batch).Loss;
        long forwardEnd = HostMemory.InUseBytes + HostMemory.PooledBytes;
        HostMemory.ResetPeak();
        loss.Backward(Tensor.Full(loss.Value.Device, 1f, loss.Value.ShapeArray()), releaseGraph);
        return (HostMemory.PeakBytes - forwardEnd, HostMemory.InUseBytes - before);
    }
}
