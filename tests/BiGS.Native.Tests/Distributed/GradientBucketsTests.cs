using BiGS.Native.Autograd;
using BiGS.Native.Distributed;
using BiGS.Native.Tensors;

namespace BiGS.Native.Tests.Distributed;

/// <summary>
/// The bucketed gradient reduction, standing for rank 0 of two ranks with the same gradients (a sum doubles every
/// element), on both engines: MPI's host staging (CPU parameters, a recording communicator) and device collectives
/// (parameters on ILGPU's CPU accelerator, buffers in its memory, a recording stand-in for NCCL).
/// </summary>
public class GradientBucketsTests
{
    public static TheoryData<string> Engines => ["mpi-host", "device"];

    [Theory]
    [MemberData(nameof(Engines))]
    public void Buckets_start_during_the_backward_in_reverse_parameter_order_and_the_sums_replace_the_gradients(string engine)
    {
        var ranks = TwoIdenticalRanks.On(engine);
        var (parameters, inputs) = ThreeParameters(ranks.Device);
        // 1000 bytes: no two of the 100-, 200- and 300-float parameters fit together (the 300 alone exceeds it, and
        // a parameter larger than a bucket gets a bucket of its own)
        using var buckets = new GradientBuckets(ranks.Engine, parameters, bucketBytes: 1000);
        Assert.Equal(3, buckets.BucketCount);

        var loss = Ops.Add(Ops.Add(Ops.SumAll(Ops.Mul(parameters[0], inputs[0])), Ops.SumAll(Ops.Mul(parameters[1], inputs[1]))),
            Ops.SumAll(Ops.Mul(parameters[2], inputs[2])));
        loss.Backward(Tensor.Ones(loss.Value.ShapeArray()).To(ranks.Device), leafGradReady: buckets.GradientReady);
        // every bucket started before the backward returned, last parameter first; each carries one flag per parameter
        Assert.Equal([301, 201, 101], ranks.StartedLengths);

        buckets.Finish();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(ranks.Device, parameters[i].Grad!.Device);
            Assert.Equal(inputs[i].Value.ToArray().Select(v => 2 * v), parameters[i].Grad!.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void A_parameter_no_rank_has_a_gradient_for_keeps_none_and_its_bucket_starts_at_the_finish(string engine)
    {
        var ranks = TwoIdenticalRanks.On(engine);
        var (parameters, inputs) = ThreeParameters(ranks.Device);
        using var buckets = new GradientBuckets(ranks.Engine, parameters, bucketBytes: 1000);

        var loss = Ops.Add(Ops.SumAll(Ops.Mul(parameters[0], inputs[0])), Ops.SumAll(Ops.Mul(parameters[1], inputs[1])));
        loss.Backward(Tensor.Ones(loss.Value.ShapeArray()).To(ranks.Device), leafGradReady: buckets.GradientReady);
        Assert.Empty(ranks.StartedLengths);   // the first bucket (parameter 2) is never finished by the backward

        buckets.Finish();
        Assert.Equal([301, 201, 101], ranks.StartedLengths);
        Assert.Null(parameters[2].Grad);
        Assert.Equal(inputs[1].Value.ToArray().Select(v => 2 * v), parameters[1].Grad!.ToArray());
    }

    private static (List<Parameter> Parameters, List<Variable> Inputs) ThreeParameters(Device device)
    {
        var rng = new Rng(5);
        int[] sizes = [100, 200, 300];
        return (sizes.Select((n, i) => new Parameter($"p{i}", Tensor.RandomNormal(rng, 0f, 1f, n).To(device))).ToList(),
            sizes.Select(n => new Variable(Tensor.RandomNormal(rng, 0f, 1f, n).To(device))).ToList());
    }

    /// <summary>An engine whose sums are those of two ranks with the same values, and the lengths of the sums it started.</summary>
    private sealed record TwoIdenticalRanks(ICollectiveEngine Engine, Device Device, List<int> StartedLengths)
    {
        public static TwoIdenticalRanks On(string engine)
        {
            var started = new List<int>();
            return engine == "device"
                ? new(new DeviceCollectiveEngine(new DoublingDeviceCollectives(started), Devices.IlgpuCpu(), TimeSpan.FromMinutes(1)), Devices.IlgpuCpu(), started)
                : new(new MpiHostStaging(new DoublingCommunicator(started), "test"), Device.Cpu, started);
        }
    }

    /// <summary>Rank 0 of two MPI ranks holding the same gradients: a sum doubles every element, at once.</summary>
    private sealed class DoublingCommunicator(List<int> started) : ICommunicator
    {
        public int Rank => 0;

        public int Size => 2;

        public TimeSpan CollectiveTimeout => TimeSpan.FromMinutes(1);

        public void AllReduceSum(Span<double> values)
        {
            foreach (ref double v in values) v *= 2;
        }

        public IPendingReduction StartAllReduceSum(float[] buffer, int count)
        {
            started.Add(count);
            for (int i = 0; i < count; i++) buffer[i] *= 2;
            return new SingleProcess().StartAllReduceSum(buffer, count);
        }

        public void Broadcast(Span<byte> data, int root) { }

        public void Barrier() { }

        public void Abort(int exitCode) => throw new InvalidOperationException("abort");

        public void Dispose() { }
    }

    /// <summary>NCCL's place for rank 0 of two ranks holding the same gradients: the sum doubles the device buffer in place.</summary>
    private sealed class DoublingDeviceCollectives(List<int> started) : IDeviceCollectives
    {
        public string Description => "doubling stand-in";

        public void StartAllReduceSum(Tensor buffer)
        {
            started.Add((int)buffer.Count);
            buffer.AddScaledInPlace(buffer, 1f);
        }

        public bool IsIdle() => true;

        public void Abort() => throw new InvalidOperationException("abort");

        public void Dispose() { }
    }
}
