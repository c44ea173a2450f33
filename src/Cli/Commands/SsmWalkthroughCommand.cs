using System.CommandLine;
using BiGS.Native.Ssm;

namespace BiGS.Native.Cli.Commands;

/// <summary>
/// <c>bigs ssm-walkthrough</c>: prints the discretised SSM of a layer, plots its kernel K as SVG and shows that the
/// convolution and the recurrence agree. Without --model it tours a freshly HiPPO-initialised SSM.
/// </summary>
public static class SsmWalkthroughCommand
{
    /// <summary>The <c>bigs ssm-walkthrough</c> command, its options bound to their handler, for the root command to add.</summary>
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model directory (default: an untrained HiPPO-initialised SSM)" };
        var layer = new Option<int>("--layer") { Description = "Layer index", DefaultValueFactory = _ => 0 };
        var direction = new Option<string>("--direction") { Description = "fs4 (left to right) or bs4 (right to left)", DefaultValueFactory = _ => "fs4" };
        direction.AcceptOnlyFromAmong("fs4", "bs4");
        var length = new Option<int>("--length") { Description = "Kernel length to plot and sequence length to compare at", DefaultValueFactory = _ => 512 };
        var output = new Option<string>("--out") { Description = "SVG file for the kernel plot", DefaultValueFactory = _ => "ssm-kernel.svg" };
        var command = new Command("ssm-walkthrough", "Tour one S4D layer: discretisation, kernel plot, convolution == recurrence");
        foreach (var option in new Option[] { model, layer, direction, length, output }) command.Options.Add(option);
        command.SetAction(r => CliErrors.Guard(() =>
            Run(r.GetValue(model), r.GetValue(layer), r.GetValue(direction)!, r.GetValue(length), r.GetValue(output)!)));
        return command;
    }

    private static int Run(string? modelDirectory, int layerIndex, string direction, int length, string svgPath)
    {
        if (length < 1) throw new ArgumentException($"--length must be at least 1, got {length}");
        var walkthrough = modelDirectory is null ? SsmWalkthrough.Untrained() : SsmWalkthrough.FromPretrained(ModelPath.Resolve(modelDirectory), layerIndex, direction);
        Console.WriteLine("1. Discretisation (zero-order hold): Abar = exp(dt A), Bbar = (exp(dt A) - 1) / A");
        Console.WriteLine(walkthrough.Describe());
        var kernel = walkthrough.Kernel(length);
        Console.WriteLine("2. Convolution kernel K[l] = Re( sum_n C_n Bbar_n Abar_n^l )");
        Console.WriteLine("   K[0..7] = " + string.Join(", ", kernel.Take(8).Select(v => v.ToString("G4", System.Globalization.CultureInfo.InvariantCulture))));
        walkthrough.PlotKernel(svgPath, length);
        Console.WriteLine($"   plot of K[0..{length - 1}] written to {svgPath}");
        var (maxAbs, maxRelative) = walkthrough.CompareConvolutionWithRecurrence(length);
        Console.WriteLine("3. y = K * u + D u (FFT convolution) versus x_k = Abar x_{k-1} + Bbar u_k, y_k = Re(C x_k) + D u_k (recurrence)");
        Console.WriteLine($"   on random u of length {length}: max |difference| = {maxAbs:G3} ({maxRelative:G3} of the largest output)");
        return 0;
    }
}
