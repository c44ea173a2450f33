using System.Text.Json;
using NumericsComplex = System.Numerics.Complex;

namespace BiGS.Native.Tests.Kernels;

/// <summary>
/// S4D parameters for the SSM tests and an independent double-precision reference of the kernel,
/// written straight from the spec with exp(l dt A) evaluated directly for every l.
/// </summary>
internal sealed record SsmTestModel(float[] ARe, float[] AIm, float[] C, float LogStep)
{
    public int StateSize => ARe.Length;

    /// <summary>Diagonal HiPPO-LegS A values from the fixture (A_re = -0.5, A_im spread), random C, dt = 0.01.</summary>
    public static SsmTestModel Hippo(int stateSize, int seed)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "fixtures", "hippo", "hippo_init.json");
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var entry = json.RootElement.GetProperty(stateSize.ToString());
        float[] Read(string name) => entry.GetProperty(name).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
        return new SsmTestModel(Read("A_re"), Read("A_im"), FftTestSupport.RandomSignal(2 * stateSize, seed), MathF.Log(0.01f));
    }

    /// <summary>K[l] = Re( sum_n C_n (exp(dt A_n) - 1) / A_n exp(l dt A_n) ) with A_n = min(A_re, -1e-4) + i A_im.</summary>
    public static double[] ReferenceKernel(double[] aRe, double[] aIm, double[] c, double logStep, int length)
    {
        double dt = Math.Exp(logStep);
        var kernel = new double[length];
        for (int n = 0; n < aRe.Length; n++)
        {
            var a = new NumericsComplex(Math.Min(aRe[n], -1e-4), aIm[n]);
            var weight = new NumericsComplex(c[2 * n], c[2 * n + 1]) * (NumericsComplex.Exp(dt * a) - 1) / a;
            for (int l = 0; l < length; l++)
                kernel[l] += (weight * NumericsComplex.Exp(l * dt * a)).Real;
        }
        return kernel;
    }

    public double[] ReferenceKernel(int length) =>
        ReferenceKernel(FftTestSupport.ToDouble(ARe), FftTestSupport.ToDouble(AIm), FftTestSupport.ToDouble(C), LogStep, length);
}
