using BiGS.Native.Autograd;
using BiGS.Native.Distributed;
using BiGS.Native.Tensors;

namespace BiGS.Native.Tests.Distributed;

/// <summary>The bucketed gradient reduction, on a recording communicator standing for two identical ranks.</summary>
public class GradientBucketsTests
{
    [Fact]
    public void Buckets_start_during_the_backward_in_reverse_parameter_order_and_the_sums_replace_the_gradients()
    {
        var (parameters, inputs) = ThreeParameters();
        var communicator = new TwoIdenticalRanks();
        // 1000 bytes: no two of the 100-, 200- and 300-float parameters fit together (the 300 alone exceeds it, and
        // a parameter larger than a bucket gets a bucket of its own)
        var buckets = new GradientBuckets(communicator, parameters, bucketBytes: 1000);
        Assert.Equal(3, buckets.BucketCount);

        var loss = Ops.Add(Ops.Add(Ops.SumAll(Ops.Mul(parameters[0], inputs[0])), Ops.SumAll(Ops.Mul(parameters[1], inputs[1]))),
            Ops.SumAll(Ops.Mul(parameters[2], inputs[2])));
        loss.Backward(Tensor.Ones(loss.Value.ShapeArray()), leafGradReady: buckets.GradientReady);
        // every bucket started before the backward returned, last parameter first; each carries one flag per parameter
        Assert.Equal([301, 201, 101], communicator.StartedLengths);

        buckets.Finish();
        for (int i = 0; i < 3; i++)
            Assert.Equal(inputs[i].Value.ToArray().Select(v => 2 * v), parameters[i].Grad!.ToArray());
    }

    [Fact]
    public void A_parameter_no_rank_has_a_gradient_for_keeps_none_and_its_bucket_starts_at_the_finish()
    {
        var (parameters, inputs) = ThreeParameters();
        var communicator = new TwoIdenticalRanks();
        var buckets = new GradientBuckets(communicator, parameters, bucketBytes: 1000);

        var loss = Ops.Add(Ops.SumAll(Ops.Mul(parameters[0], inputs[0])), Ops.SumAll(Ops.Mul(parameters[1], inputs[1])));
        loss.Backward(Tensor.Ones(loss.Value.ShapeArray()), leafGradReady: buckets.GradientReady);
        Assert.Empty(communicator.StartedLengths);   // the first bucket (parameter 2) is never finished by the backward

        buckets.Finish();
        Assert.Equal([301, 201, 101], communicator.StartedLengths);
        Assert.Null(parameters[2].Grad);
        Assert.Equal(inputs[1].Value.ToArray().Select(v => 2 * v), parameters[1].Grad!.ToArray());
    }

    private static (List<Parameter> Parameters, List<Variable> Inputs) ThreeParameters()
    {
        var rng = new Rng(5);
        int[] sizes = [100, 200, 300];
        return (sizes.Select((n, i) => new Parameter($"p{i}", Tensor.RandomNormal(rng, 0f, 1f, n))).ToList(),
            sizes.Select(n => new Variable(Tensor.RandomNormal(rng, 0f, 1f, n))).ToList());
    }

    /// <summary>Rank 0 of two ranks holding the same gradients: a sum doubles every element, at once.</summary>
    private sealed class TwoIdenticalRanks : ICommunicator
    {
        public List<int> StartedLengths { get; } = [];

        public int Rank => 0;

        public int Size => 2;

        public void AllReduceSum(Span<double> values)
        {
            foreach (ref double v in values) v *= 2;
        }

        public IPendingReduction StartAllReduceSum(float[] buffer, int count)
        {
            StartedLengths.Add(count);
            for (int i = 0; i < count; i++) buffer[i] *= 2;
            return new SingleProcess().StartAllReduceSum(buffer, count);
        }

        public void Broadcast(Span<byte> data, int root) { }

        public void Barrier() { }

        public void Abort(int exitCode) => throw new InvalidOperationException("abort");

        public void Dispose() { }
    }
}
