using BiGS.Native.Checkpoints;
using BiGS.Native.Tests.Cli;
using BiGS.Native.Tensors;
using BiGS.Native.Tests.Modeling;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// <c>bigs forward --device</c>: the fixture's outputs and gradients come out of the command on each device, and a
/// malformed device name is a one-line error. Redirects the console, hence the collection.
/// </summary>
[Collection("Console")]
public abstract class ForwardCommandDeviceTests : GpuParityTests
{
    private string DeviceName => Gpu.ToString();

    [GpuFact]
    public void Forward_and_backward_on_the_device_match_the_fixture()
    {
        string inputs = TempPath("inputs"), output = TempPath("output");
        SafeTensorsWriter.Write(inputs,
        [
            TinyFixture.Golden["L40.input_ids"].WithName("input_ids"),
            TinyFixture.Golden["L40.token_type_ids"].WithName("token_type_ids"),
            TinyFixture.Golden["L40.attention_mask"].WithName("attention_mask"),
            TinyFixture.Grads["L40.mlm.labels"].WithName("labels"),
        ]);
        try
        {
            var (exitCode, error) = Run("forward", "--model", TinyFixture.Directory, "--inputs", inputs, "--output", output,
                "--head", "mlm", "--backward", "--device", DeviceName);
            Assert.True(exitCode == 0, error);
            var results = SafeTensorsReader.ReadAll(output);
            TestData.AssertClose(TinyFixture.Golden["L40.mlm_logits"].Floats!, results["logits"].Floats!, 2e-5, 2e-5, "logits");
            TinyFixture.AssertLoss("L40.mlm.loss", results["loss"].Floats![0]);
            const string weight = "bigs.encoder.layer.1.fs4.kernel.A_im";
            TinyFixture.AssertGradient($"L40.mlm.grad.{weight}", weight, Tensor.FromArray(results["grad." + weight].Floats!));
        }
        finally
        {
            File.Delete(inputs);
            File.Delete(output);
        }
    }

    [GpuFact]
    public void A_malformed_device_name_is_a_one_line_error()
    {
        var (exitCode, error) = Run("forward", "--model", TinyFixture.Directory, "--inputs", "x", "--output", "y", "--device", "gpu:one");
        Assert.NotEqual(0, exitCode);
        Assert.Contains("--device 'gpu:one' is not of the form cpu, cuda[:N], opencl[:N], ilgpu-cpu or ilgpu-dry", error);
    }

    private static string TempPath(string what) => Path.Combine(Path.GetTempPath(), $"bigs-device-{what}-{Guid.NewGuid():N}.safetensors");

    private static (int ExitCode, string Error) Run(params string[] args)
    {
        var (exitCode, _, error) = CliRunner.Run(args);
        return (exitCode, error);
    }
}

/// <summary>The command on ILGPU's CPU accelerator (every kernel, in CI).</summary>
[GpuTarget(DeviceKind.IlgpuCpu)]
public sealed class ForwardCommandIlgpuCpuTests : ForwardCommandDeviceTests;

/// <summary>The command on OpenCL.</summary>
[GpuTarget(DeviceKind.OpenCL)]
public sealed class ForwardCommandOpenClTests : ForwardCommandDeviceTests;

/// <summary>The command on CUDA.</summary>
[GpuTarget(DeviceKind.Cuda)]
public sealed class ForwardCommandCudaTests : ForwardCommandDeviceTests;
