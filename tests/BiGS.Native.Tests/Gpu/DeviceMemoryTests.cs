using BiGS.Native.Kernels.Gpu;
using BiGS.Native.Tensors;
using BiGS.Native.Tensors.Backends.Gpu;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>Device memory: scopes and Dispose give buffers back to the driver; running out is a clear error.</summary>
public abstract class DeviceMemoryTests : GpuParityTests
{
    private IGpuDevice Driver => ((GpuBackend)Gpu.Backend).Gpu;

    [GpuFact]
    public void A_tensor_scope_releases_the_device_buffers_of_its_intermediates()
    {
        var x = OnGpu(Random(64, 32)).KeepAlive();
        long before = Driver.AllocatedBytes;
        Tensor kept;
        using (new TensorScope())
        {
            var y = Tensor.MatMul(x, x, transposeB: true).Exp();
            Assert.True(Driver.AllocatedBytes >= before + 2 * 64 * 64 * sizeof(float), "the scope's tensors should hold device memory");
            kept = y.Sum(1).Keep();
        }
        Assert.Equal(before + 64 * sizeof(float), Driver.AllocatedBytes);
        Assert.Equal(64, kept.ToArray().Length);
        kept.Dispose();
        x.Dispose();
        Assert.Equal(before - 64 * 32 * sizeof(float), Driver.AllocatedBytes);
    }

    [GpuFact]
    public void Running_out_of_device_memory_names_the_size()
    {
        const long petabyte = 1L << 50;
        var error = Assert.Throws<GpuOutOfMemoryException>(() => Driver.Allocate(petabyte));
        Assert.Equal(petabyte, error.Bytes);
        Assert.Contains($"cannot allocate {petabyte} bytes", error.Message);
        Assert.Contains(Driver.Description, error.Message);
    }
}

/// <summary>Device memory on OpenCL (the device's byte count is shared by every test using it, hence the collection).</summary>
[GpuTarget(DeviceKind.OpenCL)]
[Collection(MemoryCountersCollection.Name)]
public sealed class DeviceMemoryOpenClTests : DeviceMemoryTests;

/// <summary>Device memory on CUDA (the device's byte count is shared by every test using it, hence the collection).</summary>
[GpuTarget(DeviceKind.Cuda)]
[Collection(MemoryCountersCollection.Name)]
public sealed class DeviceMemoryCudaTests : DeviceMemoryTests;
