using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Tensors;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>Fill, copies of strided views, unary/binary/scalar ops and add-scaled: GPU against CPU.</summary>
public abstract class ElementwiseParityTests : GpuParityTests
{
    [GpuFact]
    public void FillAndRoundTrip()
    {
        foreach (int n in AwkwardSizes)
        {
            AssertClose(Tensor.Full(2.5f, n), Tensor.Full(Gpu, 2.5f, n));
            var x = Random(n);
            Assert.Equal(x.ToArray(), OnGpu(x).ToArray());
        }
        Assert.Equal(new[] { 0f, 0f, 0f }, Tensor.Zeros(Gpu, 3).ToArray());
    }

    [GpuFact]
    public void IdsZeroToNMadeOnTheDevice()
    {
        foreach (int n in AwkwardSizes)
        {
            var ids = Tensor.ArangeInt(n, Gpu);
            Assert.Equal(Gpu, ids.Device);
            Assert.Equal(Enumerable.Range(0, n), ids.ToIntArray());
        }
    }

    [GpuFact]
    public void StridedCopiesOfViews()
    {
        var x = Random(3, 17, 5);
        var g = OnGpu(x);
        AssertClose(x.Permute(2, 0, 1).Contiguous(), g.Permute(2, 0, 1).Contiguous());
        AssertClose(x.Flip(1).Contiguous(), g.Flip(1).Contiguous());
        AssertClose(x.Slice(1, 4, 9).Transpose(0, 2).Contiguous(), g.Slice(1, 4, 9).Transpose(0, 2).Contiguous());
        var ids = Tensor.FromInts([1, 2, 3, 4, 5, 6], 2, 3);
        Assert.Equal(ids.Transpose(0, 1).Contiguous().ToIntArray(), ids.To(Gpu).Transpose(0, 1).Contiguous().ToIntArray());
        var longs = Tensor.FromLongs([1L << 40, 2, 3, -4], 2, 2);
        Assert.Equal(longs.Flip(0).Contiguous().ToLongArray(), longs.To(Gpu).Flip(0).Contiguous().ToLongArray());
    }

    [GpuFact]
    public void UnaryOpsAndTheirBackward()
    {
        foreach (var op in Enum.GetValues<UnaryOp>())
        {
            bool positiveOnly = op is UnaryOp.Log or UnaryOp.Sqrt or UnaryOp.Rsqrt or UnaryOp.Reciprocal;
            var x = positiveOnly ? Uniform(0.2f, 3f, 255) : Uniform(-4f, 4f, 255);
            var y = x.Apply(op);
            var dy = Random(255);
            var gx = OnGpu(x);
            var gy = gx.Apply(op);
            AssertClose(y, gy, 2e-5f, 2e-4f, op.ToString());
            AssertClose(Tensor.ApplyBackward(op, x, y, dy), Tensor.ApplyBackward(op, gx, gy, OnGpu(dy)), 2e-5f, 2e-4f, $"{op} backward");
        }
    }

    [GpuFact]
    public void BinaryOpsWithBroadcasting()
    {
        foreach (var op in Enum.GetValues<BinaryOp>())
        {
            var a = Random(3, 17, 5);
            var b = op == BinaryOp.Div ? Uniform(0.5f, 2f, 17, 1) : Random(17, 1);
            AssertClose(Tensor.Binary(op, a, b), Tensor.Binary(op, OnGpu(a), OnGpu(b)), what: op.ToString());
            AssertClose(Tensor.Binary(op, b, a), Tensor.Binary(op, OnGpu(b), OnGpu(a)), what: op.ToString());
            var c = Random(1000);
            var d = Uniform(0.5f, 2f, 1000);
            AssertClose(Tensor.Binary(op, c, d), Tensor.Binary(op, OnGpu(c), OnGpu(d)), what: op.ToString());
        }
    }

    [GpuFact]
    public void ScalarOpsAndAddScaled()
    {
        var x = Uniform(0.5f, 2f, 17, 3);
        var g = OnGpu(x);
        AssertClose(x * 3f, g * 3f);
        AssertClose(x - 1.5f, g - 1.5f);
        AssertClose(2f - x, 2f - g);
        AssertClose(x / 4f, g / 4f);
        AssertClose(x.Clamp(0.8f, 1.2f), g.Clamp(0.8f, 1.2f));
        var y = Random(17, 3);
        var gy = OnGpu(y);
        y.AddScaledInPlace(x, -0.75f);
        gy.AddScaledInPlace(g, -0.75f);
        AssertClose(y, gy);
    }
}

/// <summary>Elementwise parity on ILGPU's CPU accelerator (every kernel, in CI).</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class ElementwiseIlgpuCpuTests : ElementwiseParityTests;

/// <summary>Elementwise parity on OpenCL.</summary>
[GpuTarget(DeviceKind.OpenCL)]
public sealed class ElementwiseOpenClTests : ElementwiseParityTests;

/// <summary>Elementwise parity on CUDA.</summary>
[GpuTarget(DeviceKind.Cuda)]
public sealed class ElementwiseCudaTests : ElementwiseParityTests;
