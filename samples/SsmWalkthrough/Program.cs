// The S4D state-space model at the heart of every BiGS layer, step by step.
//
//   dotnet run -c Release --project samples/SsmWalkthrough -- [MODEL_DIR [LAYER [fs4|bs4]]] [--length L] [--out K.svg]
//
// An S4D SSM is a diagonal linear recurrence over a complex state x (N states per channel):
//   x_k = Abar x_{k-1} + Bbar u_k,   y_k = Re(C x_k) + D u_k,
// with Abar = exp(dt A), Bbar = (exp(dt A) - 1) / A (zero-order hold). Unrolled, it is a convolution
//   y = K * u + D u,   K[l] = Re( sum_n C_n Bbar_n Abar_n^l ),
// which BiGS computes for the whole sequence at once by FFT. This sample prints the discretised parameters of an
// SSM, writes a plot of its kernel K, and checks that both forms give the same output. MODEL_DIR is a checkpoint
// (config.json plus model.safetensors or flax_model.msgpack); without it the SSM is a freshly HiPPO-initialised one.
using System.Globalization;
using BiGS.Native.Ssm;

var (positional, options) = SplitArguments(args);
int length = options.TryGetValue("--length", out var lengthText) ? int.Parse(lengthText, CultureInfo.InvariantCulture) : 256;
string plotFile = options.GetValueOrDefault("--out", "ssm-kernel.svg");
var walkthrough = positional.Count == 0
    ? SsmWalkthrough.Untrained(stateSize: 64, seed: 0)
    : SsmWalkthrough.FromPretrained(positional[0],
        layer: positional.Count > 1 ? int.Parse(positional[1], CultureInfo.InvariantCulture) : 0,
        direction: positional.Count > 2 ? positional[2] : "fs4");

Console.WriteLine("1. Discretisation (zero-order hold)");
Console.WriteLine(walkthrough.Describe(rows: 4));

var kernel = walkthrough.Kernel(length);
Console.WriteLine("2. The convolution kernel K: how strongly input l steps back reaches the output");
foreach (int lag in new[] { 0, 1, 2, 4, 16, 64, length - 1 }.Where(l => l < length).Distinct())
    Console.WriteLine($"   K[{lag,4}] = {kernel[lag],10:G4}");
walkthrough.PlotKernel(plotFile, length);
Console.WriteLine($"   plot of K[0..{length - 1}] written to {plotFile}");

var (maxAbs, maxRelative) = walkthrough.CompareConvolutionWithRecurrence(length);
Console.WriteLine("3. Convolution (FFT, all steps at once) versus recurrence (one step at a time)");
Console.WriteLine($"   largest difference {maxAbs:G3} ({maxRelative:G3} of the largest output): the same function");

// The positional arguments, and the value of each "--name value" option.
static (List<string> Positional, Dictionary<string, string> Options) SplitArguments(string[] args)
{
    var positional = new List<string>();
    var options = new Dictionary<string, string>();
    for (int i = 0; i < args.Length; i++)
    {
        if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length) options[args[i]] = args[++i];
        else positional.Add(args[i]);
    }
    return (positional, options);
}
