using BiGS.Native.Gpu;
using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Tensors;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>Tiled SGEMM: transposes, awkward sizes, batches with a broadcast operand, k split, alpha/beta accumulation.</summary>
public abstract class GemmParityTests : GpuParityTests
{
    [GpuFact]
    public void AwkwardShapesAndTransposes()
    {
        int[][] shapes = [[1, 1, 1], [3, 17, 5], [17, 3, 255], [33, 65, 17], [255, 1, 3]];
        foreach (var s in shapes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                {
                    int m = s[0], k = s[1], n = s[2];
                    var a = ta ? Random(k, m) : Random(m, k);
                    var b = tb ? Random(n, k) : Random(k, n);
                    AssertClose(Tensor.MatMul(a, b, ta, tb), Tensor.MatMul(OnGpu(a), OnGpu(b), ta, tb), 1e-4f, 1e-4f, $"m{m} k{k} n{n} ta{ta} tb{tb}");
                }
    }

    /// <summary>
    /// fp32 never runs on tensor cores; tf32 and bf16 do where the device has them (CUDA sm_80+) or emulates them, and
    /// run on the SIMT kernel elsewhere.
    /// </summary>
    [GpuFact]
    public void KernelChoiceFollowsPrecisionAndDevice()
    {
        var backend = (IlgpuBackend)Gpu.Backend;
        Assert.Equal(GemmKernelKind.Simt, backend.GemmKernelFor(Precision.Fp32));
        foreach (var precision in new[] { Precision.Tf32, Precision.Bf16 })
        {
            var kernel = backend.GemmKernelFor(precision);
            if (backend.HasTensorCores) Assert.NotEqual(GemmKernelKind.Simt, kernel);
            else Assert.Equal(backend.EmulatesMma ? GemmKernelKind.TensorCores : GemmKernelKind.Simt, kernel);
        }
    }

    [GpuFact]
    public void BatchedWithBroadcastOperand()
    {
        var a = Random(4, 17, 9);
        var b = Random(1, 9, 5);
        AssertClose(Tensor.MatMul(a, b), Tensor.MatMul(OnGpu(a), OnGpu(b)), 1e-4f);
        var c = Random(4, 5, 9);
        AssertClose(Tensor.MatMul(a, c, transposeB: true), Tensor.MatMul(OnGpu(a), OnGpu(c), transposeB: true), 1e-4f);
        var d = Random(4, 17, 5);
        AssertClose(Tensor.MatMul(a, d, transposeA: true), Tensor.MatMul(OnGpu(a), OnGpu(d), transposeA: true), 1e-4f);
    }

    /// <summary>
    /// k split in 3 parts (one group per tile, batch and part, the tile's last group adding the parts): batches of one
    /// tile and of several, one after another, so each launch finds the arrival counters the previous one left at 0.
    /// </summary>
    [GpuFact]
    public void BatchedWithKSplit()
    {
        using var split = GemmTileTuner.Force(new GemmPlan(GemmTile.Tile64x64, 3));
        var a = Random(3, 70, 100);
        var b = Random(3, 100, 90);
        AssertClose(Tensor.MatMul(a, b), Tensor.MatMul(OnGpu(a), OnGpu(b)), 1e-4f, 1e-4f, "NN");
        var c = Random(3, 5, 100);
        AssertClose(Tensor.MatMul(a, c, transposeB: true), Tensor.MatMul(OnGpu(a), OnGpu(c), transposeB: true), 1e-4f, 1e-4f, "NT");
        var d = Random(3, 70, 9);
        AssertClose(Tensor.MatMul(a, d, transposeA: true), Tensor.MatMul(OnGpu(a), OnGpu(d), transposeA: true), 1e-4f, 1e-4f, "TN");
    }

    /// <summary>
    /// Packed plans (both operands copied into the NT layout, k padded to whole stages with zeros), with k whole and
    /// split: batches with a broadcast b, then a broadcast a (each packed once for every batch), in every layout.
    /// </summary>
    [GpuTheory]
    [InlineData("64x64/packed")]
    [InlineData("64x64/k3/packed")]
    public void BatchedPackedWithBroadcastOperands(string plan)
    {
        using var packed = GemmTileTuner.Force(GemmPlan.Parse(plan, "plan"));
        var (a, broadcastA) = (Random(4, 17, 9), Random(1, 17, 9));
        var (b, broadcastB) = (Random(4, 9, 5), Random(1, 9, 5));
        AssertClose(Tensor.MatMul(a, broadcastB), Tensor.MatMul(OnGpu(a), OnGpu(broadcastB)), 1e-4f, 1e-4f, "NN, b broadcast");
        AssertClose(Tensor.MatMul(broadcastA, b), Tensor.MatMul(OnGpu(broadcastA), OnGpu(b)), 1e-4f, 1e-4f, "NN, a broadcast");
        var c = Random(4, 5, 9);
        AssertClose(Tensor.MatMul(broadcastA, c, transposeB: true), Tensor.MatMul(OnGpu(broadcastA), OnGpu(c), transposeB: true), 1e-4f, 1e-4f, "NT");
        var d = Random(1, 17, 5);
        AssertClose(Tensor.MatMul(a, d, transposeA: true), Tensor.MatMul(OnGpu(a), OnGpu(d), transposeA: true), 1e-4f, 1e-4f, "TN");
    }

    /// <summary>A NaN in an operand reaches the split product's sums (and only the row it is in), within a time limit.</summary>
    [GpuFact]
    public void KSplitCarriesANaN()
    {
        using var split = GemmTileTuner.Force(new GemmPlan(GemmTile.Tile64x64, 3));
        var values = Random(5, 100).ToArray();
        values[2 * 100 + 77] = float.NaN;
        var (a, b) = (OnGpu(Tensor.FromArray(values, 5, 100)), OnGpu(Random(100, 4)));
        var product = TestData.WithinSeconds(60, () => Tensor.MatMul(a, b).ToArray(), "a split product with a NaN");
        for (int i = 0; i < product.Length; i++)
            Assert.True(float.IsNaN(product[i]) == (i / 4 == 2), $"element {i} of the product: {product[i]}");
    }

    [GpuFact]
    public void AccumulatesWithAlphaAndBeta()
    {
        var a = Random(17, 255);
        var b = Random(3, 255);
        var c = Random(17, 3);
        var gc = OnGpu(c);
        var scaling = new GemmEpilogue { Alpha = 0.5f, Beta = -2f };
        Tensor.GemmInto(a, false, b, true, c, scaling);
        Tensor.GemmInto(OnGpu(a), false, OnGpu(b), true, gc, scaling);
        AssertClose(c, gc, 1e-4f);
    }
}

/// <summary>GEMM parity on ILGPU's CPU accelerator (every kernel, in CI).</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class GemmIlgpuCpuTests : GemmParityTests;

/// <summary>GEMM parity on OpenCL.</summary>
[GpuTarget(DeviceKind.OpenCL)]
public sealed class GemmOpenClTests : GemmParityTests;

/// <summary>GEMM parity on CUDA.</summary>
[GpuTarget(DeviceKind.Cuda)]
public sealed class GemmCudaTests : GemmParityTests;
