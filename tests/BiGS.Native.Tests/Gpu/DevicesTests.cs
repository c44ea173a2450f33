using BiGS.Native.Tensors;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>Device names and parsing errors (no device needed).</summary>
public sealed class DevicesTests
{
    [Fact]
    public void CpuNamesGiveTheCpuDevice()
    {
        Assert.Same(Device.Cpu, Devices.FromName("cpu"));
        Assert.Same(Device.Cpu, Devices.FromName(" CPU "));
        Assert.True(Devices.IsValidName("OpenCL:2") && Devices.IsValidName("cuda") && Devices.IsValidName("ILGPU-CPU"));
        Assert.Equal("ilgpu-cpu", Devices.FromName("ilgpu-cpu").ToString());
        Assert.Equal("ilgpu-dry", Devices.FromName("ILGPU-DRY").ToString());
        Assert.Same(Devices.FromName("ilgpu-dry"), Devices.IlgpuDry());
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("opencl:x")]
    [InlineData("opencl:-1")]
    [InlineData("cuda:0:1")]
    [InlineData("cpu:1")]
    [InlineData("ilgpu-cpu:0")]
    [InlineData("ilgpu-dry:1")]
    public void MalformedNamesAreRejectedWithTheName(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => Devices.FromName(name));
        Assert.Contains(name, error.Message);
        Assert.False(Devices.IsValidName(name));
    }
}
