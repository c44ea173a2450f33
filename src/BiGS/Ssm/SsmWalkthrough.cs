using System.Globalization;
using System.Text;
using BiGS.Native.Kernels.Cpu.Ssm;
using BiGS.Native.Modeling;
using BiGS.Native.Plotting;
using BiGS.Native.Tensors;

namespace BiGS.Native.Ssm;

/// <summary>
/// The educational tour of one S4D layer: its discretised parameters, its convolution kernel K, and a check that
/// the convolution (all steps at once, by FFT) and the recurrence (one step at a time) give the same output.
/// </summary>
public sealed class SsmWalkthrough
{
    private readonly S4DKernelParameters parameters;
    private readonly float skip;

    /// <summary>Walks through the given SSM parameters and skip weight D.</summary>
    public SsmWalkthrough(S4DKernelParameters parameters, float skip, string name)
    {
        this.parameters = parameters;
        this.skip = skip;
        Name = name;
    }

    /// <summary>A fresh HiPPO-initialised SSM (what training starts from), for a tour without a checkpoint.</summary>
    public static SsmWalkthrough Untrained(int stateSize = 64, ulong seed = 0) =>
        new(new S4DKernelParameters(stateSize, "hippo", new Rng(seed)), 1f, $"untrained HiPPO S4D (N={stateSize})");

    /// <summary>
    /// The SSM of one layer of a checkpoint (any head; only the encoder is read): <paramref name="direction"/>
    /// <c>fs4</c> is the left-to-right SSM, <c>bs4</c> the right-to-left one.
    /// </summary>
    /// <exception cref="ArgumentException">The layer index is out of range or the direction is neither fs4 nor bs4.</exception>
    public static SsmWalkthrough FromPretrained(string modelDirectory, int layer = 0, string direction = "fs4")
    {
        if (direction is not ("fs4" or "bs4"))
            throw new ArgumentException($"the SSM direction must be fs4 (left to right) or bs4 (right to left), got '{direction}'", nameof(direction));
        var encoder = ((BiGSModel)BiGSHeads.FromPretrained(modelDirectory, BiGSHead.Base)).Encoder;
        if (layer < 0 || layer >= encoder.Layers.Count)
            throw new ArgumentException($"layer {layer} is out of range: the model in {modelDirectory} has {encoder.Layers.Count} layers", nameof(layer));
        var ssm = direction == "fs4" ? encoder.Layers[layer].ForwardSsm : encoder.Layers[layer].BackwardSsm;
        return new SsmWalkthrough(ssm.Kernel, ssm.D.Value.Item(), $"layer {layer}, {direction}");
    }

    /// <summary>What is being shown (e.g. "layer 3, fs4").</summary>
    public string Name { get; }

    /// <summary>Zero-order-hold discretisation: Abar = exp(dt A), Bbar = (exp(dt A) - 1)/A.</summary>
    public S4DDiscretization Discretization =>
        S4DDiscretization.From(parameters.ARe.Value.ToArray(), parameters.AIm.Value.ToArray(), parameters.C.Value.ToArray(), parameters.LogStep.Value.Item());

    /// <summary>K[l] = Re(sum_n C_n Bbar_n Abar_n^l) for l &lt; length.</summary>
    public float[] Kernel(int length) => parameters.Kernel(length).ToArray();

    /// <summary>
    /// Runs both forms on the same random input u (1, length, channels) and returns the largest absolute
    /// difference and that difference relative to the largest output.
    /// </summary>
    public (double MaxAbs, double MaxRelative) CompareConvolutionWithRecurrence(int length, int channels = 4, ulong seed = 1)
    {
        var u = Tensor.RandomNormal(new Rng(seed), 0f, 1f, 1, length, channels);
        var convolution = Tensor.SsmConvolution(u, parameters.Kernel(length), Tensor.FromArray([skip], 1)).ToArray();
        var recurrence = new float[convolution.Length];
        S4DRecurrence.Forward(parameters.ARe.Value.ToArray(), parameters.AIm.Value.ToArray(), parameters.C.Value.ToArray(),
            parameters.LogStep.Value.Item(), skip, u.ToArray(), 1, length, channels, recurrence);
        double maxAbs = convolution.Select((v, i) => Math.Abs((double)v - recurrence[i])).Max();
        double scale = recurrence.Max(v => Math.Abs((double)v));
        return (maxAbs, maxAbs / Math.Max(scale, 1e-30));
    }

    /// <summary>A plain-text description of the discretisation (the first <paramref name="rows"/> states).</summary>
    public string Describe(int rows = 6)
    {
        var ssm = Discretization;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{Name}: N = {ssm.StateSize}, dt = exp(log_step) = {ssm.Step:G6}, D = {skip:G6}");
        text.AppendLine("  n        A_n = A_re + i A_im        Abar_n = exp(dt A_n)        Bbar_n = (Abar_n - 1)/A_n        C_n");
        for (int n = 0; n < Math.Min(rows, ssm.StateSize); n++)
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  {n,-3} {Format(ssm.A[n]),26} {Format(ssm.ABar[n]),26} {Format(ssm.BBar[n]),30} {Format(ssm.C[n]),26}");
        if (ssm.StateSize > rows) text.AppendLine(CultureInfo.InvariantCulture, $"  ... ({ssm.StateSize - rows} more)");
        return text.ToString();
    }

    /// <summary>Writes an SVG plot of K[0..length).</summary>
    public void PlotKernel(string path, int length)
    {
        var kernel = Kernel(length);
        new SvgLinePlot($"S4D kernel K: {Name}", "lag l", "K[l]")
            .Add(new PlotSeries("K", Enumerable.Range(0, length).Select(l => (double)l).ToList(), kernel.Select(v => (double)v).ToList()))
            .Save(path);
    }

    private static string Format(System.Numerics.Complex z) =>
        string.Create(CultureInfo.InvariantCulture, $"{z.Real:+0.0000;-0.0000} {(z.Imaginary < 0 ? '-' : '+')} {Math.Abs(z.Imaginary):0.0000}i");
}
