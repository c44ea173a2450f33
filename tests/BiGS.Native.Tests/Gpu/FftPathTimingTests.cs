using BiGS.Native.Gpu;
using BiGS.Native.Tensors;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// The SSM convolution's FFT path chosen by timing (on CUDA by default), run on a private ILGPU CPU accelerator whose
/// backend is told to time: the first forward of a problem times both paths, later forwards and backwards take the
/// faster, and the results match the CPU whichever it is.
/// </summary>
public sealed class FftPathTimingTests(WideCpuAccelerator accelerator) : GpuParityTests, IClassFixture<WideCpuAccelerator>
{
    private IlgpuBackend Backend => accelerator.Backend;

    private IDeviceActivityCounters Counters => accelerator.Backend;

    [Fact]
    public void The_first_forward_of_a_problem_times_both_paths_and_keeps_the_faster()
    {
        Backend.MeasuresFftPaths = true;
        int[] shape = [2, 40, 5];
        var (u, k, d) = (Random(shape), Random(shape[1]) * 0.2f, Tensor.FromArray([0.7f]));
        var y = Tensor.Empty(DType.Float32, accelerator.Device, shape);
        // n = 128 (2L rounded up to a power of 2); 2 x 5 columns, two to a complex sequence
        var problem = new FftProblem(128, 5);

        using (Backend.SsmConvolution(u.To(accelerator.Device), k.To(accelerator.Device), d.To(accelerator.Device), y, rightToLeft: false)) { }

        var timings = Backend.FftPaths.Timings[problem];
        Assert.Equal([FftPath.GlobalMemory, FftPath.SharedMemory], timings.Keys.Order());
        Assert.All(timings.Values, seconds => Assert.True(seconds > 0));
        Assert.Equal(timings.MinBy(timing => timing.Value).Key, Backend.FftPaths.Chosen[problem]);
        AssertClose(Tensor.SsmConvolution(u, k, d, rightToLeft: false), y, 1e-4f, 1e-3f, "y after timing");
    }

    /// <summary>
    /// A problem whose choice is made (here by stand-in times: <paramref name="faster"/> took 1 s, the other 2 s) runs
    /// forward and backward on that path alone, without timing again, and matches the CPU.
    /// </summary>
    [Theory]
    [InlineData(FftPath.GlobalMemory, 3)]
    [InlineData(FftPath.SharedMemory, 4)]
    public void Forward_and_backward_take_the_chosen_path(FftPath faster, int channels)
    {
        Backend.MeasuresFftPaths = true;
        int[] shape = [2, 24, channels];
        var problem = new FftProblem(64, channels); // n = 64 for L = 24; 2 x channels columns in channels sequences
        Backend.FftPaths.Measure(problem, [FftPath.GlobalMemory, FftPath.SharedMemory], path => path == faster ? 1 : 2);
        var (u, dy, k, d) = (Random(shape), Random(shape), Random(shape[1]) * 0.2f, Tensor.FromArray([0.7f]));
        var (gu, gk, gd) = (u.To(accelerator.Device), k.To(accelerator.Device), d.To(accelerator.Device));
        var y = Tensor.Empty(DType.Float32, accelerator.Device, shape);
        var cpu = Tensor.SsmConvolutionBackward(u, k, d, dy, rightToLeft: true);
        var (du, dK, dD) = (Tensor.Empty(DType.Float32, accelerator.Device, shape), Tensor.Empty(DType.Float32, accelerator.Device, shape[1]),
            Tensor.Empty(DType.Float32, accelerator.Device, cpu.DD.ShapeArray()));

        var before = Counters.ReadActivity();
        using (var spectrum = Backend.SsmConvolution(gu, gk, gd, y, rightToLeft: true))
            Backend.SsmConvolutionBackward(gu, gk, gd, dy.To(accelerator.Device), du, dK, dD, accumulateSkip: false, rightToLeft: true, spectrum);
        var launched = Counters.ReadActivity().Since(before).LaunchesByKernel;

        Assert.Equal(3, Backend.FftPaths.Timings[problem].Values.Sum()); // the stand-in times: not timed again
        var (expected, other) = faster == FftPath.SharedMemory ? (new[] { "SharedConvolve", "SharedConvolutionBackward" }, "Radix") : (["Radix16Stage"], "Shared");
        Assert.All(expected, kernel => Assert.Contains(kernel, launched.Keys));
        Assert.DoesNotContain(launched.Keys, name => name.StartsWith(other, StringComparison.Ordinal));
        AssertClose(Tensor.SsmConvolution(u, k, d, rightToLeft: true), y, 1e-4f, 1e-3f, $"y on {faster}");
        AssertClose(cpu.DU, du, 1e-4f, 1e-3f, $"du on {faster}");
        AssertClose(cpu.DKernel, dK, 1e-4f, 1e-3f, $"dK on {faster}");
        AssertClose(cpu.DD, dD, 1e-4f, 1e-3f, $"dD on {faster}");
    }

    /// <summary>The shared path holds no backward FFT of n = 4096 (L = 1025): that length is not timed, and runs globally.</summary>
    [Fact]
    public void Lengths_whose_backward_fft_no_group_holds_are_not_timed()
    {
        Backend.MeasuresFftPaths = true;
        int[] shape = [1, 1025, 1];
        var (u, k, d) = (Random(shape), Random(shape[1]) * 0.2f, Tensor.FromArray([0.7f]));
        var y = Tensor.Empty(DType.Float32, accelerator.Device, shape);
        var before = Counters.ReadActivity();
        using (Backend.SsmConvolution(u.To(accelerator.Device), k.To(accelerator.Device), d.To(accelerator.Device), y, rightToLeft: true)) { }

        Assert.DoesNotContain(Backend.FftPaths.Chosen.Keys, problem => problem.FftLength == 4096);
        Assert.DoesNotContain(Counters.ReadActivity().Since(before).LaunchesByKernel.Keys, name => name.StartsWith("Shared", StringComparison.Ordinal));
        AssertClose(Tensor.SsmConvolution(u, k, d, rightToLeft: true), y, 1e-4f, 1e-3f, "y");
    }
}
