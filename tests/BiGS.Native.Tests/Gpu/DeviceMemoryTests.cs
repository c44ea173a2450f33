using BiGS.Native.Gpu;
using BiGS.Native.Tensors;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>Device memory: scopes and Dispose give buffers back to the pool; running out is a clear error.</summary>
public abstract class DeviceMemoryTests : GpuParityTests
{
    private IlgpuBackend Backend => (IlgpuBackend)Gpu.Backend;

    private long LiveBytes => Backend.Memory.LiveBytes;

    [GpuFact]
    public void A_tensor_scope_releases_the_device_buffers_of_its_intermediates()
    {
        var x = OnGpu(Random(64, 32)).KeepAlive();
        long before = LiveBytes;
        Tensor kept;
        using (new TensorScope())
        {
            var y = Tensor.MatMul(x, x, transposeB: true).Exp();
            Assert.True(LiveBytes >= before + 2 * 64 * 64 * sizeof(float), "the scope's tensors should hold device memory");
            kept = y.Sum(1).Keep();
        }
        Assert.Equal(before + 64 * sizeof(float), LiveBytes);
        Assert.Equal(64, kept.ToArray().Length);
        kept.Dispose();
        x.Dispose();
        Assert.Equal(before - 64 * 32 * sizeof(float), LiveBytes);
    }

    [GpuFact]
    public void The_pool_caches_freed_buffers_up_to_its_limit_and_frees_the_rest()
    {
        using var pool = new DeviceMemoryPool(Backend.Accelerator, "test pool");
        var buffers = Enumerable.Range(0, 4).Select(_ => pool.Rent(4096)).ToList();
        buffers.Add(pool.Rent(1024));
        pool.CacheLimitBytes = 3 * 4096;
        foreach (var buffer in buffers) buffer.Dispose();
        Assert.Equal(3 * 4096, pool.CachedBytes); // the fourth 4096 and the 1024 did not fit: freed

        var reused = pool.Rent(4096); // from the cache
        Assert.Equal(2 * 4096, pool.CachedBytes);
        pool.CacheLimitBytes = 4096; // frees down to the limit
        Assert.Equal(4096, pool.CachedBytes);
        reused.Dispose(); // 4096 more would exceed the limit: freed
        Assert.Equal(4096, pool.CachedBytes);
        pool.CacheLimitBytes = 0;
        Assert.Equal(0, pool.CachedBytes);
    }

    [GpuFact]
    public void Running_out_of_device_memory_names_the_size()
    {
        const long petabyte = 1L << 50;
        var error = Assert.Throws<GpuOutOfMemoryException>(() => Backend.Memory.Rent(petabyte));
        Assert.Equal(petabyte, error.Bytes);
        Assert.Contains($"cannot allocate {petabyte} bytes", error.Message);
        Assert.Contains(Backend.Description, error.Message);
    }
}

/// <summary>Device memory on ILGPU's CPU accelerator (every kernel, in CI) (the device's byte count is shared by every test using it, hence the collection).</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
[Collection(MemoryCountersCollection.Name)]
public sealed class DeviceMemoryIlgpuCpuTests : DeviceMemoryTests;

/// <summary>Device memory on OpenCL (the device's byte count is shared by every test using it, hence the collection).</summary>
[GpuTarget(DeviceKind.OpenCL)]
[Collection(MemoryCountersCollection.Name)]
public sealed class DeviceMemoryOpenClTests : DeviceMemoryTests;

/// <summary>Device memory on CUDA (the device's byte count is shared by every test using it, hence the collection).</summary>
[GpuTarget(DeviceKind.Cuda)]
[Collection(MemoryCountersCollection.Name)]
public sealed class DeviceMemoryCudaTests : DeviceMemoryTests;

/// <summary>The pool's size classes (a function of the request alone, no device needed).</summary>
public sealed class DeviceMemoryPoolSizeClassTests
{
    [Fact]
    public void Large_buffers_are_rounded_to_2_MiB_and_smaller_ones_to_a_quarter_of_a_doubling()
    {
        const long MiB = 1L << 20;
        Assert.Equal(256, DeviceMemoryPool.SizeClass(1));
        Assert.Equal(1024, DeviceMemoryPool.SizeClass(1000));
        Assert.Equal(1280, DeviceMemoryPool.SizeClass(1025));
        Assert.Equal(24 * MiB, DeviceMemoryPool.SizeClass(20 * MiB + 1));
        Assert.Equal(32 * MiB, DeviceMemoryPool.SizeClass(32 * MiB));
        Assert.Equal(526 * MiB, DeviceMemoryPool.SizeClass(525 * MiB + 1));   // a quarter class would be 640 MiB
    }
}
