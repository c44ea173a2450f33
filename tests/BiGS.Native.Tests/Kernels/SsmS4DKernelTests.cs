using BiGS.Native.Kernels.Cpu.Ssm;
using Xunit;
using static BiGS.Native.Tests.Kernels.FftTestSupport;

namespace BiGS.Native.Tests.Kernels;

public class SsmS4DKernelTests
{
    // Index 1 and 4 sit above the clip (A_re > -1e-4), so min() replaces them by -1e-4.
    private static readonly SsmTestModel Mixed = new(
        ARe: [-0.3f, 0.2f, -1.0f, -0.05f, 0f],
        AIm: [0.5f, -2.0f, 3.0f, 0f, 1.5f],
        C: [0.7f, -0.2f, -0.4f, 0.9f, 0.3f, 0.1f, -0.8f, 0.5f, 0.6f, -0.6f],
        LogStep: MathF.Log(0.1f));

    [Fact]
    public void GenerateMatchesDoubleReferenceIncludingClippedStates()
    {
        const int length = 300;
        var kernel = new float[length];

        S4DKernel.Generate(Mixed.ARe, Mixed.AIm, Mixed.C, Mixed.LogStep, length, kernel);

        var expected = Mixed.ReferenceKernel(length);
        Assert.True(MaxRelativeDifference(kernel, expected) <= 1e-6, $"error {MaxRelativeDifference(kernel, expected):E2}");
    }

    [Fact]
    public void GenerateStaysAccurateOverLongHippoKernels()
    {
        // Long products of Abar are where power recurrences drift; 4096 steps with |A_im| up to 1300.
        const int length = 4096;
        var model = SsmTestModel.Hippo(64, seed: 21);
        var kernel = new float[length];

        S4DKernel.Generate(model.ARe, model.AIm, model.C, model.LogStep, length, kernel);

        var expected = model.ReferenceKernel(length);
        Assert.True(MaxRelativeDifference(kernel, expected) <= 1e-6, $"error {MaxRelativeDifference(kernel, expected):E2}");
    }

    [Fact]
    public void BackwardMatchesCentralDifferencesOnBothSidesOfTheClip()
    {
        const int length = 40;
        int n = Mixed.StateSize;
        var dKernel = RandomSignal(length, seed: 31);
        var dARe = new float[n];
        var dAIm = new float[n];
        var dC = new float[2 * n];

        S4DKernel.Backward(Mixed.ARe, Mixed.AIm, Mixed.C, Mixed.LogStep, dKernel, dARe, dAIm, dC, out float dLogStep);

        double[] aRe = ToDouble(Mixed.ARe), aIm = ToDouble(Mixed.AIm), c = ToDouble(Mixed.C);
        double logStep = Mixed.LogStep;
        // G = sum_l dK[l] K[l], differentiated numerically in double.
        double Loss() => SsmTestModel.ReferenceKernel(aRe, aIm, c, logStep, length).Select((k, l) => k * dKernel[l]).Sum();
        const double step = 1e-6;
        double Central(double[] values, int index) => CentralDifference(values, index, Loss);

        for (int i = 0; i < n; i++)
        {
            AssertClose(Central(aRe, i), dARe[i], $"dA_re[{i}]");
            AssertClose(Central(aIm, i), dAIm[i], $"dA_im[{i}]");
        }
        for (int i = 0; i < 2 * n; i++)
            AssertClose(Central(c, i), dC[i], $"dC[{i}]");
        double numericLogStep = CentralOnLogStep();
        AssertClose(numericLogStep, dLogStep, "dlog_step");
        Assert.Equal(0f, dARe[1]);
        Assert.Equal(0f, dARe[4]);

        double CentralOnLogStep()
        {
            double saved = logStep;
            logStep = saved + step;
            double plus = Loss();
            logStep = saved - step;
            double minus = Loss();
            logStep = saved;
            return (plus - minus) / (2 * step);
        }
    }

    [Fact]
    public void ParameterShapeMismatchIsReported()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            S4DKernel.Generate(new float[4], new float[4], new float[6], 0f, 8, new float[8]));
        Assert.Contains("C=6", error.Message);
    }

    private static void AssertClose(double expected, float actual, string name)
    {
        double tolerance = 1e-5 * Math.Max(1, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{name}: analytic {actual}, numeric {expected}");
    }
}
