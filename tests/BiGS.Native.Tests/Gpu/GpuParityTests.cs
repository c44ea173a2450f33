using BiGS.Native.Tensors;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// Base of every GPU parity family: the device under test (from the class's <see cref="GpuTargetAttribute"/>),
/// random inputs, and comparison of a GPU result with the CPU backend's (the reference).
/// </summary>
public abstract class GpuParityTests
{
    /// <summary>Sizes that stress edge handling: 1, non-multiples of the group and tile sizes, and a larger one.</summary>
    public static readonly int[] AwkwardSizes = [1, 3, 17, 255, 1000];

    /// <summary>The device under test.</summary>
    protected Device Gpu => TestDevices.For(GetType());

    /// <summary>Deterministic random source per test.</summary>
    protected Rng Rng { get; } = new(20231);

    /// <summary>Normal(0, 1) CPU tensor.</summary>
    protected Tensor Random(params int[] shape) => Tensor.RandomNormal(Rng, 0f, 1f, shape);

    /// <summary>Uniform CPU tensor in [low, high).</summary>
    protected Tensor Uniform(float low, float high, params int[] shape) => Tensor.RandomUniform(Rng, low, high, shape);

    /// <summary>The same values on the GPU.</summary>
    protected Tensor OnGpu(Tensor cpu) => cpu.To(Gpu);

    /// <summary>
    /// Asserts |gpu - cpu| &lt;= atol + rtol |cpu| element by element (same shape), naming the first bad index.
    /// </summary>
    protected static void AssertClose(Tensor cpu, Tensor gpu, float atol = 1e-5f, float rtol = 1e-4f, string what = "")
    {
        Assert.Equal(cpu.ShapeArray(), gpu.ShapeArray());
        Assert.Equal(DeviceKind.Cpu, cpu.Device.Kind);
        Assert.NotEqual(DeviceKind.Cpu, gpu.Device.Kind);
        var expected = cpu.ToArray();
        var actual = gpu.ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            float tolerance = atol + rtol * Math.Abs(expected[i]);
            if (!(Math.Abs(actual[i] - expected[i]) <= tolerance) && !(float.IsNaN(expected[i]) && float.IsNaN(actual[i])))
                Assert.Fail($"{what} {cpu.ShapeString}: element {i} is {actual[i]} on {gpu.Device}, {expected[i]} on the CPU (tolerance {tolerance})");
        }
    }
}
