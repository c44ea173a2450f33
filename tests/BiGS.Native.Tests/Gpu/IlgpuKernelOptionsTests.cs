using BiGS.Native.Gpu;

namespace BiGS.Native.Tests.Gpu;

/// <summary>The opt-in kernel paths: parsing BIGS_GPU_KERNELS and which SSM convolution path each length takes.</summary>
public sealed class IlgpuKernelOptionsTests
{
    [Fact]
    public void ParsesNamesAllAndNothing()
    {
        Assert.False(IlgpuKernelOptions.Parse(null).SharedMemoryFft);
        Assert.False(IlgpuKernelOptions.Parse(" ").SharedMemoryFft);
        Assert.True(IlgpuKernelOptions.Parse("shared-fft").SharedMemoryFft);
        Assert.True(IlgpuKernelOptions.Parse(" Shared-FFT , ").SharedMemoryFft);
        Assert.True(IlgpuKernelOptions.Parse("all").SharedMemoryFft);
        Assert.False(IlgpuKernelOptions.Parse("shared-fft").PipelinedGemm);
        Assert.True(IlgpuKernelOptions.Parse("pipelined-gemm").PipelinedGemm);
        Assert.False(IlgpuKernelOptions.Parse("pipelined-gemm").SharedMemoryFft);
        Assert.True(IlgpuKernelOptions.Parse("emulated-mma").EmulatedMma);
        Assert.False(IlgpuKernelOptions.Parse("pipelined-gemm").EmulatedMma);
        Assert.Equal("shared-fft,pipelined-gemm,emulated-mma", IlgpuKernelOptions.Parse("all").ToString());
        Assert.False(IlgpuKernelOptions.Parse("all").GlobalMemoryFft);
        var global = IlgpuKernelOptions.Parse("global-fft,pipelined-gemm");
        Assert.Equal((true, false, true), (global.GlobalMemoryFft, global.SharedMemoryFft, global.PinsFftPath));
        Assert.Equal("global-fft,pipelined-gemm", global.ToString());
        Assert.False(IlgpuKernelOptions.Parse("pipelined-gemm").PinsFftPath);
        Assert.Equal("pipelined-gemm", IlgpuKernelOptions.Parse("pipelined-gemm").ToString());
        Assert.Equal("none", IlgpuKernelOptions.Parse("").ToString());
    }

    [Fact]
    public void UnknownNameIsAnErrorNamingTheVariable()
    {
        var error = Assert.Throws<ArgumentException>(() => IlgpuKernelOptions.Parse("shared-fft,fast-gemm"));
        Assert.Contains("BIGS_GPU_KERNELS", error.Message);
        Assert.Contains("'fast-gemm'", error.Message);
    }

    [Theory]
    [InlineData("global-fft,shared-fft")]
    [InlineData("all,global-fft")]
    public void BothFftPathsAreAnError(string value)
    {
        var error = Assert.Throws<ArgumentException>(() => IlgpuKernelOptions.Parse(value));
        Assert.Contains("BIGS_GPU_KERNELS", error.Message);
        Assert.Contains("global-fft", error.Message);
    }

    /// <summary>A group holds 4096 complex values: n = 4096 (L = 2048) forward, n = 2048 (L = 1024) backward.</summary>
    [Fact]
    public void SharedMemoryPathWhereTheFftFitsAGroup()
    {
        var on = IlgpuKernelOptions.Parse("shared-fft");
        Assert.Equal(FftPath.SharedMemory, IlgpuBackend.SsmConvolutionPath(on, 2048, backward: false));
        Assert.Equal(FftPath.GlobalMemory, IlgpuBackend.SsmConvolutionPath(on, 2049, backward: false));
        Assert.Equal(FftPath.SharedMemory, IlgpuBackend.SsmConvolutionPath(on, 1024, backward: true));
        Assert.Equal(FftPath.GlobalMemory, IlgpuBackend.SsmConvolutionPath(on, 1025, backward: true));
        Assert.Equal(FftPath.SharedMemory, IlgpuBackend.SsmConvolutionPath(on, 1, backward: true));
        Assert.Equal(FftPath.GlobalMemory, IlgpuBackend.SsmConvolutionPath(IlgpuKernelOptions.Parse(null), 128, backward: false));
    }
}
