using BiGS.Native.Tensors;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// Bad labels and ids on a GPU: the kernels check their range and record the first error in the device's error word,
/// which is raised at the next read from that device. The word belongs to the device, not to the test, so these tests
/// run alone (<see cref="DeviceErrorsCollection"/>): a read by any other test on the shared device meanwhile would
/// raise this test's error there.
/// </summary>
public abstract class DeviceErrorTests : GpuParityTests
{
    [GpuFact]
    public void A_label_outside_the_vocabulary_is_raised_at_the_next_read()
    {
        var logits = OnGpu(Random(1, 255));
        var bad = Tensor.FromInts([300], 1).To(Gpu);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.CrossEntropy(logits, bad).Loss.Item());
        Assert.Contains("label 300 at row 0", error.Message);
        Assert.Equal(0f, Tensor.Zeros(Gpu, 1).Item());
    }

    [GpuFact]
    public void An_id_outside_the_embedding_table_is_raised_at_the_next_read()
    {
        var table = OnGpu(Random(17, 5));
        var ids = Tensor.FromInts([3, 17], 1, 2).To(Gpu);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Embedding(table, ids).ToArray());
        Assert.Contains("id 17 at position 1 is outside the table's 17 rows", error.Message);
        Assert.Equal(0f, Tensor.Zeros(Gpu, 1).Item());
    }

    [GpuFact]
    public void Rows_at_ids_that_do_not_increase_are_raised_at_the_next_read()
    {
        var table = OnGpu(Random(17, 5));
        var ids = Tensor.FromInts([3, 9, 4], 3).To(Gpu);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.SelectIncreasingRows(table, ids).ToArray());
        Assert.Contains("id 4 at position 2 is not above the id before it (9)", error.Message);
        Assert.Equal(0f, Tensor.Zeros(Gpu, 1).Item());
    }
}

/// <summary>Tests that provoke a device's recorded input error run alone (see <see cref="DeviceErrorTests"/>).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public class DeviceErrorsCollection
{
    /// <summary>The collection's name, for [Collection(...)].</summary>
    public const string Name = "Device input errors";
}

/// <summary>Recorded input errors on ILGPU's CPU accelerator (in CI).</summary>
[GpuTarget(DeviceKind.IlgpuCpu), Collection(DeviceErrorsCollection.Name)]
public sealed class DeviceErrorIlgpuCpuTests : DeviceErrorTests;

/// <summary>Recorded input errors on OpenCL.</summary>
[GpuTarget(DeviceKind.OpenCL), Collection(DeviceErrorsCollection.Name)]
public sealed class DeviceErrorOpenClTests : DeviceErrorTests;

/// <summary>Recorded input errors on CUDA.</summary>
[GpuTarget(DeviceKind.Cuda), Collection(DeviceErrorsCollection.Name)]
public sealed class DeviceErrorCudaTests : DeviceErrorTests;
