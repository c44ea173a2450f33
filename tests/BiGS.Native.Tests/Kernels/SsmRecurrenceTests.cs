using BiGS.Native.Kernels.Cpu.Ssm;
using Xunit;
using static BiGS.Native.Tests.Kernels.FftTestSupport;

namespace BiGS.Native.Tests.Kernels;

public class SsmRecurrenceTests
{
    private const float Skip = -0.6f;

    [Fact]
    public void RecurrenceMatchesReferenceConvolution()
    {
        const int batch = 2, length = 30, channels = 2;
        var model = SsmTestModel.Hippo(4, seed: 41);
        var u = RandomSignal(batch * length * channels, seed: 42);
        var y = new float[u.Length];

        S4DRecurrence.Forward(model.ARe, model.AIm, model.C, model.LogStep, Skip, u, batch, length, channels, y);

        // y[b,t,h] = sum_{s<=t} K[t-s] u[b,s,h] + D u[b,t,h] with the double reference kernel.
        var kernel = model.ReferenceKernel(length);
        var expected = new double[u.Length];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < length; t++)
                for (int h = 0; h < channels; h++)
                {
                    int at = (b * length + t) * channels + h;
                    expected[at] = Skip * u[at];
                    for (int s = 0; s <= t; s++)
                        expected[at] += kernel[t - s] * u[(b * length + s) * channels + h];
                }
        Assert.True(MaxRelativeDifference(y, expected) <= 1e-6, $"error {MaxRelativeDifference(y, expected):E2}");
    }

    [Fact]
    public void FftConvolutionOfGeneratedKernelMatchesRecurrenceAt4096()
    {
        const int batch = 1, length = 4096, channels = 3;
        var model = SsmTestModel.Hippo(64, seed: 51);
        var u = RandomSignal(batch * length * channels, seed: 52);
        var kernel = new float[length];
        var convolved = new float[u.Length];
        var recurrent = new float[u.Length];

        S4DKernel.Generate(model.ARe, model.AIm, model.C, model.LogStep, length, kernel);
        SsmConvolution.Forward(u, batch, length, channels, kernel, Skip, convolved);
        S4DRecurrence.Forward(model.ARe, model.AIm, model.C, model.LogStep, Skip, u, batch, length, channels, recurrent);

        double difference = MaxRelativeDifference(convolved, ToDouble(recurrent));
        Assert.True(difference <= 1e-4, $"max relative difference {difference:E2}");
    }
}
