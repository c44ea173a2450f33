// The S4D state-space model at the heart of every BiGS layer, step by step.
//
//   dotnet run -c Release --project samples/SsmWalkthrough -- [LENGTH]
//
// An S4D SSM is a diagonal linear recurrence over a complex state x (N states per channel):
//   x_k = Abar x_{k-1} + Bbar u_k,   y_k = Re(C x_k) + D u_k,
// with Abar = exp(dt A), Bbar = (exp(dt A) - 1) / A (zero-order hold). Unrolled, it is a convolution
//   y = K * u + D u,   K[l] = Re( sum_n C_n Bbar_n Abar_n^l ),
// which BiGS computes for the whole sequence at once by FFT. This sample prints the discretised parameters of a
// freshly HiPPO-initialised SSM, writes a plot of its kernel K, and checks that both forms give the same output.
using System.Globalization;
using BiGS.Native.Ssm;

int length = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 256;
var walkthrough = SsmWalkthrough.Untrained(stateSize: 64, seed: 0);

Console.WriteLine("1. Discretisation (zero-order hold)");
Console.WriteLine(walkthrough.Describe(rows: 4));

var kernel = walkthrough.Kernel(length);
Console.WriteLine("2. The convolution kernel K: how strongly input l steps back reaches the output");
foreach (int lag in new[] { 0, 1, 2, 4, 16, 64, length - 1 }.Where(l => l < length).Distinct())
    Console.WriteLine($"   K[{lag,4}] = {kernel[lag],10:G4}");
const string PlotFile = "ssm-kernel.svg";
walkthrough.PlotKernel(PlotFile, length);
Console.WriteLine($"   plot of K[0..{length - 1}] written to {PlotFile}");

var (maxAbs, maxRelative) = walkthrough.CompareConvolutionWithRecurrence(length);
Console.WriteLine("3. Convolution (FFT, all steps at once) versus recurrence (one step at a time)");
Console.WriteLine($"   largest difference {maxAbs:G3} ({maxRelative:G3} of the largest output): the same function");
