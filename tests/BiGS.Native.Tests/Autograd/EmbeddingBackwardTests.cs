using BiGS.Native.Autograd;
using BiGS.Native.Tensors;
using BiGS.Native.Tests.Gpu;
using Xunit;

namespace BiGS.Native.Tests.Autograd;

/// <summary>
/// The embedding backwards against double-precision sums written here: the sorted scatter-add of repeating ids (tile
/// sorts alone, and with the stages and merges past one tile) and the one-pass backward of rows at strictly increasing
/// ids, overwriting and accumulating, at sizes no group or tile divides.
/// </summary>
public abstract class EmbeddingBackwardTests
{
    private Device Device => TestDevices.For(GetType());

    [GpuTheory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 7, 2)]
    [InlineData(255, 17, 5)]
    [InlineData(1000, 50, 3)]
    [InlineData(5000, 13, 2)] // over two tiles of the device sort: its global stages and merges
    public void Scatter_add_of_repeating_ids_matches_the_sum_of_each_ids_rows(int count, int vocabulary, int dim)
    {
        var ids = Enumerable.Range(0, count).Select(i => (int)((i * 7919L + i / 3) % vocabulary)).ToArray();
        var dy = TestData.RandomTensor(1, count, dim);
        var dtable = TestData.RandomTensor(2, vocabulary, dim);
        var expected = ToDouble(dtable);
        var dyValues = dy.ToArray();
        for (int i = 0; i < count; i++)
            for (int d = 0; d < dim; d++) expected[ids[i] * dim + d] += dyValues[i * dim + d];

        var onDevice = dtable.To(Device);
        Tensor.EmbeddingBackward(dy.To(Device), Tensor.FromInts(ids, count).To(Device), onDevice);
        TestData.AssertClose(expected, onDevice.ToArray(), 1e-5, 1e-5, "dtable");
    }

    [GpuTheory]
    [InlineData(1, 1, 1, false)]
    [InlineData(17, 3, 3, false)]
    [InlineData(17, 3, 3, true)]
    [InlineData(255, 5, 2, true)]
    [InlineData(1000, 17, 7, false)]
    public void Rows_at_increasing_ids_gather_and_their_backward_writes_each_picked_row_once(int rows, int dim, int step, bool accumulate)
    {
        // every step-th row from row step/2 on, and the last row: first, last and gaps of every kind
        int[] ids = [.. Enumerable.Range(0, rows).Where(r => r % step == step / 2 || r == rows - 1)];
        var table = TestData.RandomTensor(3, rows, dim);
        var dy = TestData.RandomTensor(4, ids.Length, dim);
        var dtable = TestData.RandomTensor(5, rows, dim);
        var (tableValues, dyValues) = (table.ToArray(), dy.ToArray());
        var expectedRows = new double[ids.Length * dim];
        var expectedGradient = accumulate ? ToDouble(dtable) : new double[rows * dim];
        for (int i = 0; i < ids.Length; i++)
            for (int d = 0; d < dim; d++)
            {
                expectedRows[i * dim + d] = tableValues[ids[i] * dim + d];
                expectedGradient[ids[i] * dim + d] += dyValues[i * dim + d];
            }

        var idTensor = Tensor.FromInts(ids, ids.Length).To(Device);
        TestData.AssertClose(expectedRows, Tensor.SelectIncreasingRows(table.To(Device), idTensor).ToArray(), 1e-5, 1e-5, "rows");
        var onDevice = dtable.To(Device);
        Tensor.SelectIncreasingRowsBackward(dy.To(Device), idTensor, onDevice, accumulate);
        TestData.AssertClose(expectedGradient, onDevice.ToArray(), 1e-5, 1e-5, "dtable");
    }

    [GpuFact]
    public void A_computed_table_gets_zeros_in_the_rows_not_picked_and_a_leaf_accumulates_its_picked_rows()
    {
        const int rows = 9, dim = 4;
        int[] ids = [0, 4, 5, 8];
        var x = new Variable(TestData.RandomTensor(6, rows, dim).To(Device), requiresGrad: true);
        var weights = TestData.RandomTensor(7, ids.Length, dim);
        var w = weights.ToArray();
        var picked = Tensor.FromInts(ids, ids.Length);
        // loss = sum(w * rows(3 x)): dx[ids[i]] = 3 w[i], zero elsewhere; twice from the leaf itself: 2 w[i]
        var expected = new double[rows * dim];
        for (int i = 0; i < ids.Length; i++)
            for (int d = 0; d < dim; d++) expected[ids[i] * dim + d] = 3.0 * w[i * dim + d];
        Loss(Ops.Scale(x, 3f)).Backward();
        TestData.AssertClose(expected, x.Grad!.ToArray(), 1e-5, 1e-5, "through a computed table");

        x.Grad = null;
        Loss(x).Backward();
        Loss(x).Backward();
        TestData.AssertClose([.. expected.Select(g => g / 3 * 2)], x.Grad!.ToArray(), 1e-5, 1e-5, "a leaf, twice");

        Variable Loss(Variable table) => Ops.SumAll(Ops.Mul(Ops.SelectIncreasingRows(table, picked), new Variable(weights.To(Device))));
    }

    private static double[] ToDouble(Tensor t) => [.. t.ToArray().Select(v => (double)v)];
}

/// <summary>On the CPU backend.</summary>
public sealed class EmbeddingBackwardCpuTests : EmbeddingBackwardTests;

/// <summary>On ILGPU's CPU accelerator.</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class EmbeddingBackwardIlgpuCpuTests : EmbeddingBackwardTests;

/// <summary>On CUDA.</summary>
[GpuTarget(DeviceKind.Cuda)]
public sealed class EmbeddingBackwardCudaTests : EmbeddingBackwardTests;

/// <summary>Bad ids for rows at increasing ids, on the CPU (a device raises them through its error word: see DeviceErrorTests).</summary>
public sealed class SelectIncreasingRowsErrorTests
{
    [Fact]
    public void Ids_that_do_not_increase_or_outnumber_the_rows_are_refused_naming_the_position()
    {
        var table = TestData.RandomTensor(8, 6, 2);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.SelectIncreasingRows(table, Tensor.FromInts([1, 3, 3], 3)));
        Assert.Contains("id 3 at position 2 is not above the id before it (3)", error.Message);
        var tooMany = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Tensor.SelectIncreasingRowsBackward(Tensor.Zeros(7, 2), Tensor.ArangeInt(7), table, accumulate: false));
        Assert.Contains("7 strictly increasing ids cannot all lie in the table's 6 rows", tooMany.Message);
    }
}
