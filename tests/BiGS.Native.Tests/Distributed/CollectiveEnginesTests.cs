using System.Runtime.InteropServices;
using BiGS.Native.Distributed;
using BiGS.Native.Gpu.Nccl;
using BiGS.Native.Tensors;
using BiGS.Native.Tensors.Backends;

namespace BiGS.Native.Tests.Distributed;

/// <summary>
/// Which engine sums the gradients: NCCL on CUDA devices when it is usable, else MPI on host memory, the reason
/// in the description. The NCCL calls themselves need a CUDA GPU and libnccl, which the test machines lack: here
/// they are replaced by recording stand-ins, and the real provider is checked where the library is missing.
/// </summary>
public class CollectiveEnginesTests
{
    /// <summary>A device of kind CUDA computing on the CPU backend: enough for the choice, which opens nothing.</summary>
    private static readonly Device FakeCuda = Device.Create(DeviceKind.Cuda, 0, CpuBackend.Instance);

    [Fact]
    public void A_cpu_model_is_reduced_by_mpi_through_host_memory_without_asking_for_nccl()
    {
        var provider = new RecordingProvider(unavailability: null);
        using var engine = CollectiveEngines.Choose(new RankOf(1, 2), Device.Cpu, provider);
        Assert.IsType<MpiCollectiveEngine>(engine);
        Assert.Equal("Open MPI, gradients summed in place in host memory (the model is on cpu)", engine.Description);
        Assert.Empty(provider.Calls);
    }

    [Fact]
    public void A_cuda_model_without_a_usable_nccl_falls_back_to_mpi_and_says_why()
    {
        var provider = new RecordingProvider(unavailability: "libnccl.so.2 could not be loaded (not found)");
        using var engine = CollectiveEngines.Choose(new RankOf(1, 2), FakeCuda, provider);
        Assert.IsType<MpiCollectiveEngine>(engine);
        Assert.Equal("Open MPI, gradients staged in host memory (NCCL is not used: libnccl.so.2 could not be loaded (not found))", engine.Description);
        Assert.Equal(["Unavailability cuda:0"], provider.Calls);
    }

    [Fact]
    public void A_cuda_model_without_the_gpu_package_falls_back_to_mpi_and_says_why()
    {
        using var engine = CollectiveEngines.Choose(new RankOf(0, 2), FakeCuda, provider: null);
        Assert.Equal("Open MPI, gradients staged in host memory (NCCL is not used: BiGS.Native.Gpu (which holds the NCCL binding) is not loaded)",
            engine.Description);
    }

    [Fact]
    public void A_cuda_model_with_nccl_joins_it_on_every_rank_with_rank_0s_identifier_broadcast_over_mpi()
    {
        var provider = new RecordingProvider(unavailability: null);
        var rank = new RankOf(1, 2);
        using var engine = CollectiveEngines.Choose(rank, FakeCuda, provider);
        Assert.IsType<DeviceCollectiveEngine>(engine);
        Assert.Equal("recorded collectives, gradients summed in device memory", engine.Description);
        Assert.Equal(["Unavailability cuda:0", "Join cuda:0 rank 1 of 2"], provider.Calls);
        Assert.Equal([(128, 0)], rank.Broadcasts);   // the 128-byte ncclUniqueId, from root 0
    }

    [Fact]
    public void The_nccl_provider_serves_only_cuda_devices()
    {
        Assert.Equal("NCCL serves CUDA devices and cpu is not one", new NcclCollectivesProvider().Unavailability(Device.Cpu));
    }

    [Fact]
    public void The_nccl_provider_names_the_library_and_the_loaders_reason_when_libnccl_is_missing()
    {
        if (NativeLibrary.TryLoad("libnccl.so.2", out IntPtr handle))
        {
            NativeLibrary.Free(handle);
            Assert.Fail("this test expects a machine without libnccl.so.2 (it checks the fallback's message)");
        }
        string? reason = new NcclCollectivesProvider().Unavailability(FakeCuda);
        Assert.NotNull(reason);
        Assert.StartsWith("libnccl.so.2 could not be loaded (", reason);
        Assert.Contains("libnccl.so.2", reason[30..]);   // the loader's own message names the file it looked for
    }

    [Fact]
    public void A_device_all_reduce_that_never_completes_is_aborted_after_the_timeout()
    {
        var never = new NeverIdle();
        using var engine = new DeviceCollectiveEngine(never, Devices.IlgpuCpu(), TimeSpan.FromMilliseconds(200));
        using var buffer = engine.CreateBuffer(4);
        var pending = buffer.StartAllReduceSum();
        var error = Assert.Throws<CollectiveTimeoutException>(pending.Wait);
        Assert.StartsWith("no progress in all-reduce for 0.2 s", error.Message);
        Assert.True(never.Aborted);
    }

    /// <summary>Rank <c>rank</c> of <c>size</c>: records broadcasts, sums nothing.</summary>
    private sealed class RankOf(int rank, int size) : ICommunicator
    {
        public List<(int Bytes, int Root)> Broadcasts { get; } = [];

        public int Rank => rank;

        public int Size => size;

        public TimeSpan CollectiveTimeout => TimeSpan.FromMinutes(1);

        public void AllReduceSum(Span<double> values) => throw new NotSupportedException();

        public IPendingReduction StartAllReduceSum(Memory<float> values) => throw new NotSupportedException();

        public void Broadcast(Span<byte> data, int root) => Broadcasts.Add((data.Length, root));

        public void Barrier() { }

        public void Abort(int exitCode) => throw new InvalidOperationException("abort");

        public void Dispose() { }
    }

    /// <summary>A provider that is usable or not as told, recording what it is asked.</summary>
    private sealed class RecordingProvider(string? unavailability) : IDeviceCollectivesProvider
    {
        public List<string> Calls { get; } = [];

        public string? Unavailability(Device device)
        {
            Calls.Add($"Unavailability {device}");
            return unavailability;
        }

        public IDeviceCollectives Join(Device device, int rank, int size, BroadcastFromRank0 broadcastFromRank0)
        {
            Calls.Add($"Join {device} rank {rank} of {size}");
            broadcastFromRank0(new byte[128]);
            return new NeverIdle { Description = "recorded collectives" };
        }
    }

    /// <summary>Collectives whose work never completes (a peer that never joins the all-reduce).</summary>
    private sealed class NeverIdle : IDeviceCollectives
    {
        public string Description { get; init; } = "never idle";

        public bool Aborted { get; private set; }

        public void StartAllReduceSum(Tensor buffer) { }

        public bool IsIdle() => false;

        public void Abort() => Aborted = true;

        public void Dispose() { }
    }
}
