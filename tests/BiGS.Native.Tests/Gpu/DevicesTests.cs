using BiGS.Native.Kernels.Gpu.OpenCL;
using BiGS.Native.Tensors;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>Device names, parsing errors and OpenCL error reporting (no device needed).</summary>
public sealed class DevicesTests
{
    [Fact]
    public void CpuNamesGiveTheCpuDevice()
    {
        Assert.Same(Device.Cpu, Devices.FromName("cpu"));
        Assert.Same(Device.Cpu, Devices.FromName(" CPU "));
        Assert.True(Devices.IsValidName("OpenCL:2") && Devices.IsValidName("cuda"));
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("opencl:x")]
    [InlineData("opencl:-1")]
    [InlineData("cuda:0:1")]
    [InlineData("cpu:1")]
    public void MalformedNamesAreRejectedWithTheName(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => Devices.FromName(name));
        Assert.Contains(name, error.Message);
        Assert.False(Devices.IsValidName(name));
    }

    [Fact]
    public void OpenClErrorsNameTheCallAndTheCode()
    {
        var error = new OpenClException("clEnqueueNDRangeKernel", -5);
        Assert.Equal("clEnqueueNDRangeKernel failed with CL_OUT_OF_RESOURCES (-5)", error.Message);
        Assert.Equal("CL_INVALID_WORK_GROUP_SIZE", OpenClException.CodeName(-54));
    }
}
