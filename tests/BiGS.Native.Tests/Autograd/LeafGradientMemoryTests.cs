using BiGS.Native.Autograd;
using BiGS.Native.Tensors;

namespace BiGS.Native.Tests.Autograd;

/// <summary>
/// A parameter's gradient goes straight into its Grad: once Grad exists, a backward pass allocates nothing the size
/// of the parameter. Reads the process-wide host memory counters, so runs alone.
/// </summary>
[Collection(MemoryCountersCollection.Name)]
public class LeafGradientMemoryTests
{
    private const int Features = 256;

    [Fact]
    public void A_linear_backward_writes_the_weight_gradient_without_a_weight_sized_temporary()
    {
        var weight = new Parameter("weight", TestData.RandomTensor(1, Features, Features));
        var bias = new Parameter("bias", TestData.RandomTensor(2, Features));
        var x = new Variable(TestData.RandomTensor(3, 8, Features));
        Func<Variable> loss = () => Ops.SumAll(Ops.Linear(x, weight, bias));

        long rise = BackwardPeakRise(loss);

        Assert.True(rise < Bytes(weight) / 4, $"the backward allocated {rise} bytes at its peak; the weight has {Bytes(weight)}");
        // loss = sum(x W^T + b): dW[o, i] = sum_r x[r, i] for every o, twice after two passes
        var xs = x.Value.ToArray();
        var columnSums = Enumerable.Range(0, Features).Select(i => Enumerable.Range(0, 8).Sum(r => (double)xs[r * Features + i])).ToArray();
        var expected = Enumerable.Range(0, Features * Features).Select(k => 2 * columnSums[k % Features]).ToArray();
        TestData.AssertClose(expected, weight.Grad!.ToArray(), 1e-5, 1e-5, "dW");
    }

    [Fact]
    public void An_embedding_backward_scatters_into_the_table_gradient_without_a_table_sized_temporary()
    {
        var table = new Parameter("table", TestData.RandomTensor(4, 1024, 64));
        var ids = Tensor.FromInts([5, 900, 5, 17], 4);
        Func<Variable> loss = () => Ops.SumAll(Ops.Embedding(table, ids));

        long rise = BackwardPeakRise(loss);

        Assert.True(rise < Bytes(table) / 4, $"the backward allocated {rise} bytes at its peak; the table has {Bytes(table)}");
        var grad = table.Grad!.ToArray();
        Assert.Equal(2 * 2f, grad[5 * 64]); // two passes, row 5 picked twice
        Assert.Equal(2 * 1f, grad[900 * 64 + 63]);
        Assert.Equal(0f, grad[6 * 64]);
    }

    /// <summary>
    /// Runs one forward and backward (which allocates the gradients), then measures a second: how far in-use + pooled
    /// host bytes rose above the forward's end during its backward, starting from an empty pool.
    /// </summary>
    private static long BackwardPeakRise(Func<Variable> loss)
    {
        loss().Backward();
        HostMemory.ReleasePooled();
        using var scope = new TensorScope();
        var output = loss();
        long forwardEnd = HostMemory.InUseBytes + HostMemory.PooledBytes;
        HostMemory.ResetPeak();
        output.Backward();
        return HostMemory.PeakBytes - forwardEnd;
    }

    private static long Bytes(Variable parameter) => parameter.Value.Count * sizeof(float);
}
