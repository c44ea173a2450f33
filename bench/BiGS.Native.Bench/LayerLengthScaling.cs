using System.Diagnostics;
using System.Globalization;
using BiGS.Native.Autograd;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;

namespace BiGS.Native.Bench;

/// <summary>
/// Forward time and peak memory of one BiGS-base layer (d 768, I 3072, N 64) at growing sequence lengths, batch 1,
/// no approximation. Each length runs in a fresh child process so its peak working set is its own.
/// Usage: <c>layer-length-scaling [L ...]</c> (default 512 1024 4096 8192).
/// </summary>
public sealed class LayerLengthScaling : ISideBySide
{
    private const string ChildFlag = "--single";

    /// <inheritdoc />
    public string Name => "layer-length-scaling";

    /// <inheritdoc />
    public string Description => "one BiGS-base layer forward: time and peak memory at L = 512 ... 8192";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        if (args.Length == 2 && args[0] == ChildFlag) return MeasureOne(int.Parse(args[1], CultureInfo.InvariantCulture));
        var lengths = args.Length > 0 ? args.Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [512, 1024, 4096, 8192];
        Console.WriteLine("BiGS-base layer forward (d 768, I 3072, N 64), batch 1, no grad, median of 5 runs");
        Console.WriteLine($"{"L",6} {"ms",10} {"us/token",10} {"peak MiB",10}");
        foreach (int length in lengths)
        {
            var line = RunChild(length);
            Console.WriteLine(line);
        }
        return 0;
    }

    private static string RunChild(int length)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            start.ArgumentList.Add(typeof(LayerLengthScaling).Assembly.Location);
        foreach (var a in new[] { "layer-length-scaling", ChildFlag, length.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        using var child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd().TrimEnd();
        child.WaitForExit();
        return child.ExitCode == 0 ? output : $"{length,6} failed (exit {child.ExitCode})";
    }

    private static int MeasureOne(int length)
    {
        var config = new BiGSConfig
        {
            HiddenSize = 768, IntermediateSize = 3072, NumSsm = 64, NumHiddenLayers = 1, MaxPositionEmbeddings = length, VocabSize = 8,
        };
        var layer = new BiGSLayer(config, new Rng(1));
        var x = new Variable(Tensor.RandomNormal(new Rng(2), 0f, 1f, 1, length, 768).KeepAlive());
        var times = new List<double>();
        using (GradMode.NoGrad())
        {
            for (int run = 0; run < 6; run++)
            {
                using var scope = new TensorScope();
                var watch = Stopwatch.StartNew();
                layer.Forward(x);
                if (run > 0) times.Add(watch.Elapsed.TotalMilliseconds);
            }
        }
        double median = times.Order().ElementAt(times.Count / 2);
        double peakMiB = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{length,6} {median,10:F1} {1000 * median / length,10:F1} {peakMiB,10:F0}"));
        return 0;
    }
}
