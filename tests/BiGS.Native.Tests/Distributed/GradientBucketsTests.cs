using System.Runtime.InteropServices;
using BiGS.Native.Autograd;
using BiGS.Native.Distributed;
using BiGS.Native.Tensors;
using BiGS.Native.Tensors.Backends;
using BiGS.Native.Training;

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

        BackwardOf(parameters, inputs, buckets.GradientReady, 0, 1, 2);
        // every bucket started before the backward returned, last parameter first
        Assert.Equal([300, 200, 100], ranks.StartedLengths);

        buckets.Finish();
        Assert.Equal([300, 200, 100, 3], ranks.StartedLengths);   // then one has-gradient flag per parameter
        for (int i = 0; i < 3; i++) AssertSumOfTwoRanks(parameters[i], inputs[i]);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void A_parameter_no_rank_has_a_gradient_for_keeps_none_and_its_bucket_starts_at_the_finish(string engine)
    {
        var ranks = TwoIdenticalRanks.On(engine);
        var (parameters, inputs) = ThreeParameters(ranks.Device);
        using var buckets = new GradientBuckets(ranks.Engine, parameters, bucketBytes: 1000);

        BackwardOf(parameters, inputs, buckets.GradientReady, 0, 1);
        Assert.Empty(ranks.StartedLengths);   // the first bucket (parameter 2) is never finished by the backward

        buckets.Finish();
        Assert.Equal([300, 200, 100, 3], ranks.StartedLengths);
        Assert.Null(parameters[2].Grad);
        AssertSumOfTwoRanks(parameters[1], inputs[1]);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void Buckets_lying_back_to_back_in_the_flat_gradient_buffer_are_summed_there(string engine)
    {
        var ranks = TwoIdenticalRanks.On(engine);
        var (parameters, inputs) = ThreeParameters(ranks.Device);
        FlattenGradients(parameters);
        using var buckets = new GradientBuckets(ranks.Engine, parameters, bucketBytes: 1000);
        Assert.Equal(3, buckets.InPlaceBucketCount);

        BackwardOf(parameters, inputs, buckets.GradientReady, 0, 1, 2);
        buckets.Finish();

        var flatBuffer = ranks.MemoryOf(parameters[0].GradHome!);
        Assert.All(ranks.StartedMemory.Take(3), summed => Assert.Same(flatBuffer, summed));
        Assert.All(parameters, parameter => Assert.Same(parameter.GradHome, parameter.Grad));
        for (int i = 0; i < 3; i++) AssertSumOfTwoRanks(parameters[i], inputs[i]);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void In_place_a_parameter_no_rank_has_a_gradient_for_keeps_none_and_adds_zeros(string engine)
    {
        var ranks = TwoIdenticalRanks.On(engine);
        var (parameters, inputs) = ThreeParameters(ranks.Device);
        FlattenGradients(parameters);
        parameters[1].GradHome!.FillInPlace(7f);   // what a previous step could have left in the home
        using var buckets = new GradientBuckets(ranks.Engine, parameters, bucketBytes: 4000);   // one bucket
        Assert.Equal(1, buckets.InPlaceBucketCount);

        BackwardOf(parameters, inputs, buckets.GradientReady, 0, 2);
        buckets.Finish();

        Assert.Null(parameters[1].Grad);
        Assert.All(parameters[1].GradHome!.ToArray(), v => Assert.Equal(0f, v));
        AssertSumOfTwoRanks(parameters[2], inputs[2]);
    }

    [Fact]
    public void Gradients_without_a_flat_buffer_are_staged()
    {
        var ranks = TwoIdenticalRanks.On("mpi-host");
        var (parameters, _) = ThreeParameters(ranks.Device);
        using var buckets = new GradientBuckets(ranks.Engine, parameters, bucketBytes: 1000);
        Assert.Equal(0, buckets.InPlaceBucketCount);
    }

    /// <summary>Moves the parameters' values and gradient homes into flat buffers, in order, as the optimizer does.</summary>
    internal static void FlattenGradients(List<Parameter> parameters) => _ = new AdamW([new ParameterGroup(parameters, 1f, 0f)], new AdamWOptions());

    /// <summary>Back-propagates the sum over <paramref name="which"/> parameters of sum(parameter * input).</summary>
    internal static void BackwardOf(List<Parameter> parameters, List<Variable> inputs, Action<Variable>? leafGradReady, params int[] which)
    {
        var loss = which.Select(i => Ops.SumAll(Ops.Mul(parameters[i], inputs[i]))).Aggregate(Ops.Add);
        loss.Backward(Tensor.Ones(loss.Value.ShapeArray()).To(parameters[0].Value.Device), leafGradReady: leafGradReady);
    }

    /// <summary>The gradient of sum(parameter * input) summed over two ranks with the same input: twice the input, on its device.</summary>
    private static void AssertSumOfTwoRanks(Parameter parameter, Variable input)
    {
        Assert.Equal(parameter.Value.Device, parameter.Grad!.Device);
        Assert.Equal(input.Value.ToArray().Select(v => 2 * v), parameter.Grad.ToArray());
    }

    internal static (List<Parameter> Parameters, List<Variable> Inputs) ThreeParameters(Device device)
    {
        var rng = new Rng(5);
        int[] sizes = [100, 200, 300];
        return (sizes.Select((n, i) => new Parameter($"p{i}", Tensor.RandomNormal(rng, 0f, 1f, n).To(device))).ToList(),
            sizes.Select(n => new Variable(Tensor.RandomNormal(rng, 0f, 1f, n).To(device))).ToList());
    }

    /// <summary>
    /// An engine whose sums are those of two ranks with the same values, and the lengths and memory (the host array,
    /// or the device storage) of the sums it started.
    /// </summary>
    internal sealed record TwoIdenticalRanks(ICollectiveEngine Engine, Device Device, List<int> StartedLengths, List<object> StartedMemory)
    {
        public static TwoIdenticalRanks On(string engine)
        {
            var (lengths, memory) = (new List<int>(), new List<object>());
            return engine == "device"
                ? new(new DeviceCollectiveEngine(new DoublingDeviceCollectives(lengths, memory), Devices.IlgpuCpu(), TimeSpan.FromMinutes(1)),
                    Devices.IlgpuCpu(), lengths, memory)
                : new(new MpiCollectiveEngine(new DoublingCommunicator(lengths, memory), Device.Cpu, "test"), Device.Cpu, lengths, memory);
        }

        /// <summary>The memory a sum of <paramref name="tensor"/> where it lies is started on.</summary>
        public object MemoryOf(Tensor tensor) => Device.Kind == DeviceKind.Cpu ? ((CpuStorage)tensor.Storage).Floats : tensor.Storage;
    }

    /// <summary>Rank 0 of two MPI ranks holding the same gradients: a sum doubles every element, at once.</summary>
    private sealed class DoublingCommunicator(List<int> lengths, List<object> memory) : ICommunicator
    {
        public int Rank => 0;

        public int Size => 2;

        public TimeSpan CollectiveTimeout => TimeSpan.FromMinutes(1);

        public void AllReduceSum(Span<double> values)
        {
            foreach (ref double v in values) v *= 2;
        }

        public IPendingReduction StartAllReduceSum(Memory<float> values)
        {
            lengths.Add(values.Length);
            memory.Add(MemoryMarshal.TryGetArray<float>(values, out var segment) ? segment.Array! : "not an array");
            foreach (ref float v in values.Span) v *= 2;
            return new SingleProcess().StartAllReduceSum(values);
        }

        public void Broadcast(Span<byte> data, int root) { }

        public void Barrier() { }

        public void Abort(int exitCode) => throw new InvalidOperationException("abort");

        public void Dispose() { }
    }

    /// <summary>NCCL's place for rank 0 of two ranks holding the same gradients: the sum doubles the device buffer in place.</summary>
    private sealed class DoublingDeviceCollectives(List<int> lengths, List<object> memory) : IDeviceCollectives
    {
        public string Description => "doubling stand-in";

        public void StartAllReduceSum(Tensor buffer)
        {
            lengths.Add((int)buffer.Count);
            memory.Add(buffer.Storage);
            buffer.AddScaledInPlace(buffer, 1f);
        }

        public bool IsIdle() => true;

        public void Abort() => throw new InvalidOperationException("abort");

        public void Dispose() { }
    }
}

/// <summary>
/// On ILGPU's CPU accelerator, which counts its work: buckets summed in place in the flat gradient buffer copy
/// nothing (no copy kernel, no read of device memory by the host); only the has-gradient flags travel from the host.
/// </summary>
[Collection(MemoryCountersCollection.Name)]
public class InPlaceGradientBucketsActivityTests
{
    [Fact]
    public void Summing_buckets_in_the_flat_gradient_buffer_copies_no_gradient()
    {
        var ranks = GradientBucketsTests.TwoIdenticalRanks.On("device");
        var (parameters, inputs) = GradientBucketsTests.ThreeParameters(ranks.Device);
        GradientBucketsTests.FlattenGradients(parameters);
        using var buckets = new GradientBuckets(ranks.Engine, parameters, bucketBytes: 1000);
        GradientBucketsTests.BackwardOf(parameters, inputs, leafGradReady: null, 0, 1, 2);   // the gradients, before counting
        var counters = (IDeviceActivityCounters)ranks.Device.Backend;

        var before = counters.ReadActivity();
        foreach (var parameter in parameters.AsEnumerable().Reverse()) buckets.GradientReady(parameter);
        buckets.Finish();
        var activity = counters.ReadActivity().Since(before);

        // the stand-in's doubling of the three buckets and the flags is all that runs
        Assert.Equal(new Dictionary<string, long> { ["AddScaled"] = 4 }, activity.LaunchesByKernel);
        Assert.Equal(0, activity.DeviceToHostCopies);
        Assert.Equal(1, activity.HostToDeviceCopies);   // the flags
    }
}
