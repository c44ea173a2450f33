using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Kernels.Cpu.Fft;
using BiGS.Native.Kernels.Cpu.Ssm;
using Xunit;
using static BiGS.Native.Tests.Kernels.FftTestSupport;

namespace BiGS.Native.Tests.Kernels;

public class SsmConvolutionTests
{
    private const float Skip = 0.37f;

    private static readonly (int Batch, int Length, int Channels)[] ShapeList =
    [
        (1, 1, 1), (2, 3, 5), (1, 17, 16), (2, 40, 33), (1, 64, 3), (1, 255, 20),
        (8, 64, 64), // enough tiles for more than one worker block
        // Channel counts that are not multiples of the lanes (a tile holds two groups of 8 or 16 lanes) at odd lengths:
        (3, 9, 7), (2, 31, 9), (1, 127, 23), (2, 65, 40), (1, 33, 50),
    ];

    /// <summary>Every shape with 8 lanes (the AVX2 path) and 16 (the AVX-512 path).</summary>
    public static TheoryData<int, int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int, int>();
        foreach (var (batch, length, channels) in ShapeList)
            foreach (int lanes in new[] { 8, 16 })
                data.Add(batch, length, channels, lanes);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FftForwardMatchesDirectSum(int batch, int length, int channels, int lanes)
    {
        var u = RandomSignal(batch * length * channels, seed: length);
        var kernel = RandomSignal(length, seed: 100 + length);
        var y = new float[u.Length];

        if (lanes == 8) SsmConvolution.Forward<Lanes8>(u, batch, length, channels, kernel, Skip, y);
        else SsmConvolution.Forward<Lanes16>(u, batch, length, channels, kernel, Skip, y);

        var expected = ReferenceForward(u, batch, length, channels, kernel, Skip);
        Assert.True(MaxRelativeDifference(y, expected) <= 1e-5, $"error {MaxRelativeDifference(y, expected):E2}");
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 17, 5)]
    public void DirectForwardMatchesReference(int batch, int length, int channels)
    {
        var u = RandomSignal(batch * length * channels, seed: 5);
        var kernel = RandomSignal(length, seed: 6);
        var y = new float[u.Length];

        SsmConvolution.ForwardDirect(u, batch, length, channels, kernel, Skip, y);

        Assert.True(MaxRelativeDifference(y, ReferenceForward(u, batch, length, channels, kernel, Skip)) <= 1e-6);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackwardMatchesDirectFormulas(int batch, int length, int channels, int lanes)
    {
        var u = RandomSignal(batch * length * channels, seed: 2 * length);
        var dy = RandomSignal(u.Length, seed: 3 * length);
        var kernel = RandomSignal(length, seed: 4 * length);
        var du = new float[u.Length];
        var dKernel = new float[length];

        float dD;
        if (lanes == 8) SsmConvolution.Backward<Lanes8>(u, dy, batch, length, channels, kernel, Skip, du, dKernel, out dD);
        else SsmConvolution.Backward<Lanes16>(u, dy, batch, length, channels, kernel, Skip, du, dKernel, out dD);

        // du[b,s,h] = sum_{t>=s} K[t-s] dy[b,t,h] + D dy[b,s,h];  dK[l] = sum_{b,h} sum_{t>=l} dy[b,t,h] u[b,t-l,h]
        var expectedDu = new double[u.Length];
        var expectedDKernel = new double[length];
        double expectedDD = 0;
        for (int b = 0; b < batch; b++)
            for (int s = 0; s < length; s++)
                for (int h = 0; h < channels; h++)
                {
                    int at = Index(b, s, h, length, channels);
                    expectedDu[at] = (double)Skip * dy[at];
                    expectedDD += (double)dy[at] * u[at];
                    for (int t = s; t < length; t++)
                    {
                        int later = Index(b, t, h, length, channels);
                        expectedDu[at] += (double)kernel[t - s] * dy[later];
                        expectedDKernel[t - s] += (double)dy[later] * u[at];
                    }
                }

        Assert.True(MaxRelativeDifference(du, expectedDu) <= 1e-5, $"du error {MaxRelativeDifference(du, expectedDu):E2}");
        Assert.True(MaxRelativeDifference(dKernel, expectedDKernel) <= 1e-5,
            $"dK error {MaxRelativeDifference(dKernel, expectedDKernel):E2}");
        Assert.Equal(expectedDD, dD, 1e-5 * Math.Max(1, Math.Abs(expectedDD)));
    }

    /// <summary>
    /// Right to left (BiGS's backward SSM), against the anti-causal sums written out here in double:
    /// <code>
    /// y[b,t,h]  = sum_{s>=t} K[s-t] u[b,s,h] + D u[b,t,h]
    /// du[b,s,h] = sum_{t<=s} K[s-t] dy[b,t,h] + D dy[b,s,h]
    /// dK[l]     = sum_{b,h} sum_{t+l<L} dy[b,t,h] u[b,t+l,h]       dD = sum dy u
    /// </code>
    /// </summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void RightToLeftMatchesAntiCausalSums(int batch, int length, int channels, int lanes)
    {
        var u = RandomSignal(batch * length * channels, seed: 5 * length);
        var dy = RandomSignal(u.Length, seed: 6 * length);
        var kernel = RandomSignal(length, seed: 7 * length);
        var (y, du, dKernel) = (new float[u.Length], new float[u.Length], new float[length]);
        float dD;
        if (lanes == 8)
        {
            SsmConvolution.Forward<Lanes8>(u, batch, length, channels, kernel, Skip, y, rightToLeft: true);
            SsmConvolution.Backward<Lanes8>(u, dy, batch, length, channels, kernel, Skip, du, dKernel, out dD, rightToLeft: true);
        }
        else
        {
            SsmConvolution.Forward<Lanes16>(u, batch, length, channels, kernel, Skip, y, rightToLeft: true);
            SsmConvolution.Backward<Lanes16>(u, dy, batch, length, channels, kernel, Skip, du, dKernel, out dD, rightToLeft: true);
        }

        var (expectedY, expectedDu, expectedDKernel) = (new double[u.Length], new double[u.Length], new double[length]);
        double expectedDD = 0;
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < length; t++)
                for (int h = 0; h < channels; h++)
                {
                    int at = Index(b, t, h, length, channels);
                    expectedY[at] += (double)Skip * u[at];
                    expectedDu[at] += (double)Skip * dy[at];
                    expectedDD += (double)dy[at] * u[at];
                    for (int s = t; s < length; s++)
                    {
                        int later = Index(b, s, h, length, channels);
                        expectedY[at] += (double)kernel[s - t] * u[later];
                        expectedDu[later] += (double)kernel[s - t] * dy[at];
                        expectedDKernel[s - t] += (double)dy[at] * u[later];
                    }
                }

        Assert.True(MaxRelativeDifference(y, expectedY) <= 1e-5, $"y error {MaxRelativeDifference(y, expectedY):E2}");
        Assert.True(MaxRelativeDifference(du, expectedDu) <= 1e-5, $"du error {MaxRelativeDifference(du, expectedDu):E2}");
        Assert.True(MaxRelativeDifference(dKernel, expectedDKernel) <= 1e-5,
            $"dK error {MaxRelativeDifference(dKernel, expectedDKernel):E2}");
        Assert.Equal(expectedDD, dD, 1e-5 * Math.Max(1, Math.Abs(expectedDD)));
    }

    [Fact]
    public void BackwardMatchesCentralDifferencesOfForward()
    {
        const int batch = 2, length = 6, channels = 3;
        var u = RandomSignal(batch * length * channels, seed: 11);
        var weights = RandomSignal(u.Length, seed: 12); // loss = sum_i weights_i y_i, so dy = weights
        var kernel = RandomSignal(length, seed: 13);
        var du = new float[u.Length];
        var dKernel = new float[length];
        SsmConvolution.Backward(u, weights, batch, length, channels, kernel, Skip, du, dKernel, out float dD);

        double Loss(float[] uIn, float[] kernelIn, float d)
        {
            var y = new float[uIn.Length];
            SsmConvolution.Forward(uIn, batch, length, channels, kernelIn, d, y);
            return y.Zip(weights, (a, w) => (double)a * w).Sum();
        }

        // The loss is linear in each argument, so a large step has no truncation error and keeps float noise small.
        const float step = 0.25f;
        double Central(Func<float, double> lossAt) => (lossAt(step) - lossAt(-step)) / (2 * step);

        for (int i = 0; i < u.Length; i += 5)
        {
            double numeric = Central(e => Loss(Perturbed(u, i, e), kernel, Skip));
            Assert.Equal(numeric, du[i], 1e-4);
        }
        for (int l = 0; l < length; l++)
        {
            double numeric = Central(e => Loss(u, Perturbed(kernel, l, e), Skip));
            Assert.Equal(numeric, dKernel[l], 1e-4);
        }
        Assert.Equal(Central(e => Loss(u, kernel, Skip + e)), dD, 1e-4);
    }

    [Fact]
    public void ShapeMismatchesNameTheArgument()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            SsmConvolution.Forward(new float[10], 1, 4, 2, new float[4], 0f, new float[8]));
        Assert.Contains("u has 10 values", error.Message);
        var kernelError = Assert.Throws<ArgumentException>(() =>
            SsmConvolution.Forward(new float[8], 1, 4, 2, new float[3], 0f, new float[8]));
        Assert.Contains("kernel has 3 values", kernelError.Message);
    }

    private static float[] Perturbed(float[] values, int index, float delta)
    {
        var copy = (float[])values.Clone();
        copy[index] += delta;
        return copy;
    }

    private static int Index(int b, int t, int h, int length, int channels) => (b * length + t) * channels + h;

    // y[b,t,h] = sum_{s<=t} K[t-s] u[b,s,h] + D u[b,t,h], in double.
    private static double[] ReferenceForward(float[] u, int batch, int length, int channels, float[] kernel, float d)
    {
        var y = new double[u.Length];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < length; t++)
                for (int h = 0; h < channels; h++)
                {
                    double sum = (double)d * u[Index(b, t, h, length, channels)];
                    for (int s = 0; s <= t; s++)
                        sum += (double)kernel[t - s] * u[Index(b, s, h, length, channels)];
                    y[Index(b, t, h, length, channels)] = sum;
                }
        return y;
    }
}
