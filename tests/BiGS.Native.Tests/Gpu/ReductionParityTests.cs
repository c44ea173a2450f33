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
    public void SumToShape()
    {
        var x = Random(3, 17, 5, 2);
        var g = OnGpu(x);
        int[][] targets = [[17, 1, 2], [3, 1, 1, 1], [1], [5, 1], [3, 17, 5, 2], [1, 17, 1, 2]];
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
