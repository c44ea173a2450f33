using BiGS.Native.Tensors;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>Sum, mean and max along every axis, whole-tensor sums, and the broadcast backward (sum to shape).</summary>
public abstract class ReductionParityTests : GpuParityTests
{
    [GpuFact]
    public void AlongEveryAxis()
    {
        var x = Random(3, 17, 255);
        var g = OnGpu(x);
        for (int axis = 0; axis < 3; axis++)
            foreach (var kind in Enum.GetValues<ReduceKind>())
                AssertClose(x.Reduce(kind, axis), g.Reduce(kind, axis), 1e-4f, 1e-4f, $"{kind} axis {axis}");
    }

    [GpuFact]
    public void WholeTensorsOfAwkwardSizes()
    {
        foreach (int n in AwkwardSizes)
        {
            var x = Random(n);
            AssertClose(x.SumAll(), OnGpu(x).SumAll(), 1e-4f, 1e-4f, $"sum of {n}");
            AssertClose(x.Max(0), OnGpu(x).Max(0), what: $"max of {n}");
        }
    }

    [GpuFact]
    public void ColumnSumsOverwriteOrAccumulate()
    {
        const int cols = 17;
        foreach (int rows in AwkwardSizes)
        {
            var x = Random(rows, cols);
            var old = Random(cols);
            var (xs, olds) = (x.ToArray(), old.ToArray());
            foreach (bool accumulate in new[] { false, true })
            {
                var expected = Enumerable.Range(0, cols)
                    .Select(c => (accumulate ? olds[c] : 0.0) + Enumerable.Range(0, rows).Sum(r => (double)xs[r * cols + c])).ToArray();
                var start = accumulate ? old : Tensor.Full(float.NaN, cols); // overwriting must not read the old values
                var (cpuSums, gpuSums) = (Tensor.FromArray(start.ToArray(), cols), OnGpu(start));
                Tensor.ColumnSumsInto(x, cpuSums, accumulate);
                Tensor.ColumnSumsInto(OnGpu(x), gpuSums, accumulate);
                TestData.AssertClose(expected, cpuSums.ToArray(), 1e-4, 1e-5, $"cpu, {rows} rows, accumulate {accumulate}");
                TestData.AssertClose(expected, gpuSums.ToArray(), 1e-4, 1e-5, $"{Gpu}, {rows} rows, accumulate {accumulate}");
            }
        }
    }

    /// <summary>
    /// A NaN in a column reaches its sum through the tiles' partial sums (rows enough for several chunks on every
    /// device), and the other columns are untouched by it; within a time limit, since a partial read back as NaN once
    /// stalled the launch on ILGPU's CPU accelerator.
    /// </summary>
    [GpuFact]
    public void ColumnSumsCarryANaNThroughThePartialSums()
    {
        var values = Random(1000, 3).ToArray();
        values[700 * 3 + 1] = float.NaN;
        var (matrix, sums) = (OnGpu(Tensor.FromArray(values, 1000, 3)), OnGpu(Tensor.Zeros(3)));
        var result = TestData.WithinSeconds(60, () =>
        {
            Tensor.ColumnSumsInto(matrix, sums, accumulate: false);
            return sums.ToArray();
        }, "column sums with a NaN");
        Assert.True(float.IsNaN(result[1]), $"column 1: {result[1]}");
        Assert.True(float.IsFinite(result[0]) && float.IsFinite(result[2]), $"columns 0 and 2: {result[0]}, {result[2]}");
    }

    /// <summary>A matrix with no rows still writes its sums: zeros when overwriting, the old values when accumulating.</summary>
    [GpuFact]
    public void ColumnSumsOfNoRows()
    {
        var empty = Tensor.Zeros(Gpu, 0, 5);
        var overwritten = OnGpu(Tensor.Full(float.NaN, 5));
        Tensor.ColumnSumsInto(empty, overwritten, accumulate: false);
        Assert.Equal(new float[5], overwritten.ToArray());
        var old = Random(5);
        var accumulated = OnGpu(old);
        Tensor.ColumnSumsInto(empty, accumulated, accumulate: true);
        Assert.Equal(old.ToArray(), accumulated.ToArray());
    }

    [GpuFact]
    public void SumToShape()
    {
        var x = Random(3, 17, 5, 2);
        var g = OnGpu(x);
        // The last four are sums over leading dims only (column sums); the others take the general reduction.
        int[][] targets = [[17, 1, 2], [3, 1, 1, 1], [5, 1], [3, 17, 5, 2], [1, 17, 1, 2], [1], [2], [1, 5, 2], [17, 5, 2]];
        foreach (var target in targets)
            AssertClose(x.SumToShape(target), g.SumToShape(target), 1e-4f, 1e-4f, $"to {string.Join(",", target)}");
    }
}

/// <summary>Reduction parity on ILGPU's CPU accelerator (every kernel, in CI).</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class ReductionIlgpuCpuTests : ReductionParityTests;

/// <summary>Reduction parity on OpenCL.</summary>
[GpuTarget(DeviceKind.OpenCL)]
public sealed class ReductionOpenClTests : ReductionParityTests;

/// <summary>Reduction parity on CUDA.</summary>
[GpuTarget(DeviceKind.Cuda)]
public sealed class ReductionCudaTests : ReductionParityTests;
