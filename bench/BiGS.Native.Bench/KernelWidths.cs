using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using BiGS.Native.Kernels.Cpu;

namespace BiGS.Native.Bench;

/// <summary>
/// What the AVX-512 paths of the CPU kernels other than GEMM pay: GELU, fused bias + GELU, the gating product,
/// LayerNorm, cross-entropy and AdamW at BiGS-base sizes (B 8 x L 128 = 1024 tokens, d 768, I 3072, vocabulary
/// 30522 with 15% of the positions masked), on their AVX-512 paths and on their AVX2 paths (a child process with
/// <c>DOTNET_EnableAVX512=0</c>), side by side. Both sides run in child processes, alternating for
/// <c>--rounds</c> rounds (default 2), with tiered compilation off (<c>DOTNET_TieredCompilation=0</c>): a kernel
/// called a few dozen times would otherwise be partly timed in unoptimised tier-0 or on-stack-replaced code (that
/// made BiasGelu.Backward look 5x slower than it is). Each child reports the median of <c>--runs</c> runs (default
/// 15) after one warm-up run; the table shows the least disturbed round (the smallest median).
/// Usage: <c>kernel-widths [--threads N] [--runs R] [--rounds K]</c>. With one thread (the default) each kernel runs
/// on the calling thread and is timed by that thread's CPU time, which a machine shared with other work distorts far
/// less than wall time; with more threads, by wall time.
/// </summary>
public sealed class KernelWidths : ISideBySide
{
    private const string ChildFlag = "--child";
    private const int Tokens = 8 * 128, Hidden = 768, Intermediate = 3072, Vocabulary = 30522;
    private const int MaskedRows = Tokens * 15 / 100;
    private const int AdamWParameters = 1 << 23; // about one BiGS-base layer (9.4M)

    /// <inheritdoc />
    public string Name => "kernel-widths";

    /// <inheritdoc />
    public string Description => "CPU kernels other than GEMM at BiGS-base sizes: AVX-512 paths vs AVX2 paths (child process)";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        int threads = int.Parse(CommandLineOptions.Value(args, "--threads") ?? "1", CultureInfo.InvariantCulture);
        int runs = int.Parse(CommandLineOptions.Value(args, "--runs") ?? "15", CultureInfo.InvariantCulture);
        int rounds = int.Parse(CommandLineOptions.Value(args, "--rounds") ?? "2", CultureInfo.InvariantCulture);
        if (threads < 1 || runs < 1 || rounds < 1)
        {
            Console.Error.WriteLine($"--threads, --runs and --rounds must be at least 1 (got {threads}, {runs} and {rounds})");
            return 2;
        }
        CpuParallel.ThreadCount = threads;
        if (args.Contains(ChildFlag))
        {
            foreach (var (kernel, ms) in Measure(threads, runs))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{kernel}\t{ms:R}"));
            return 0;
        }
        string clock = threads == 1 ? "thread CPU" : "wall";
        Console.WriteLine($"threads {threads}, {clock} ms, smallest of {rounds} rounds' medians of {runs}; load average {LoadAverage()}");
        bool wide = Vector512.IsHardwareAccelerated;
        if (!wide)
            Console.WriteLine("512-bit vectors are not accelerated here (no AVX-512, or DOTNET_EnableAVX512=0): AVX2 paths only");
        var avx512 = new List<Dictionary<string, double>>();
        var avx2 = new List<Dictionary<string, double>>();
        for (int round = 0; round < rounds; round++)
        {
            if (wide) avx512.Add(MeasureInChild(threads, runs, disableAvx512: false));
            avx2.Add(MeasureInChild(threads, runs, disableAvx512: true));
        }
        Console.WriteLine($"{"kernel",-34} {"AVX-512",9} {"AVX2",9} {"AVX2/AVX-512",13}   load average {LoadAverage()}");
        foreach (string kernel in avx2[0].Keys)
        {
            double narrow = avx2.Min(r => r[kernel]);
            if (wide)
            {
                double broad = avx512.Min(r => r[kernel]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{kernel,-34} {broad,9:F3} {narrow,9:F3} {narrow / broad,13:F2}"));
            }
            else
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{kernel,-34} {"-",9} {narrow,9:F3}"));
        }
        return 0;
    }

    /// <summary>Median milliseconds of each kernel, in a fixed order.</summary>
    private static List<(string Kernel, double Ms)> Measure(int threads, int runs)
    {
        var random = new Random(1);
        float[] Uniform(int n, float low, float high) =>
            Enumerable.Range(0, n).Select(_ => low + (high - low) * (float)random.NextDouble()).ToArray();
        var activation = Uniform(Tokens * Intermediate, -4, 4);
        var other = Uniform(Tokens * Intermediate, -1, 1);
        var output = new float[Tokens * Intermediate];
        var bias = Uniform(Intermediate, -1, 1);
        var dbias = new float[Intermediate];
        var hidden = Uniform(Tokens * Hidden, -2, 2);
        var hiddenGradient = Uniform(Tokens * Hidden, -1, 1);
        var hiddenOutput = new float[Tokens * Hidden];
        var (gamma, beta) = (Uniform(Hidden, 0.5f, 1.5f), Uniform(Hidden, -0.5f, 0.5f));
        var (dgamma, dbeta, mean, rstd) = (new float[Hidden], new float[Hidden], new float[Tokens], new float[Tokens]);
        var logits = Uniform(MaskedRows * Vocabulary, -8, 8);
        var dlogits = new float[logits.Length];
        var labels = Enumerable.Range(0, MaskedRows).Select(_ => random.Next(Vocabulary)).ToArray();
        var logSumExp = new float[MaskedRows];
        var parameters = Uniform(AdamWParameters, -0.1f, 0.1f);
        var gradients = Uniform(AdamWParameters, -0.01f, 0.01f);
        var (m, v) = (new float[AdamWParameters], new float[AdamWParameters]);
        int step = 0;
        LayerNormKernel.Forward(hidden, gamma, beta, Tokens, Hidden, 1e-12f, hiddenOutput, mean, rstd);

        Func<Action, double> time = threads == 1 ? ThreadCpuClock.SecondsOf : WallSeconds;
        double Median(Action kernel)
        {
            kernel();
            var times = Enumerable.Range(0, runs).Select(_ => 1e3 * time(kernel)).Order().ToArray();
            return times[runs / 2];
        }
        string ti = $"{Tokens}x{Intermediate}", th = $"{Tokens}x{Hidden}", tv = $"{MaskedRows}x{Vocabulary}";
        return
        [
            ($"gelu tanh {ti}", Median(() => Elementwise.Unary(UnaryOp.GeluTanh, activation, output))),
            ($"bias + gelu forward {ti}", Median(() => BiasGelu.Forward(GeluKind.Tanh, activation, bias, Tokens, Intermediate, output))),
            ($"bias + gelu backward {ti}", Median(() =>
                BiasGelu.Backward(GeluKind.Tanh, activation, bias, other, Tokens, Intermediate, output, dbias))),
            ($"mul {ti}", Median(() => Elementwise.Binary(BinaryOp.Mul, activation, other, output))),
            ($"layernorm forward {th}", Median(() =>
                LayerNormKernel.Forward(hidden, gamma, beta, Tokens, Hidden, 1e-12f, hiddenOutput, mean, rstd))),
            ($"layernorm backward {th}", Median(() =>
                LayerNormKernel.Backward(hidden, gamma, mean, rstd, hiddenGradient, Tokens, Hidden, hiddenOutput, accumulateDx: false, dgamma, dbeta))),
            ($"cross-entropy forward {tv}", Median(() =>
                CrossEntropyKernel.Forward(logits, labels, MaskedRows, Vocabulary, -100, logSumExp, out _))),
            ($"cross-entropy backward {tv}", Median(() =>
                CrossEntropyKernel.Backward(logits, labels, logSumExp, MaskedRows, Vocabulary, -100, 1f / MaskedRows, dlogits))),
            ($"adamw {AdamWParameters}", Median(() =>
                AdamWKernel.Step(parameters, gradients, m, v, 1e-4f, 0.9f, 0.98f, 1e-6f, 0.05f, ++step))),
        ];
    }

    /// <summary>The measurements of a child process with tiered compilation off, by kernel, in order.</summary>
    private Dictionary<string, double> MeasureInChild(int threads, int runs, bool disableAvx512)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            start.ArgumentList.Add(typeof(KernelWidths).Assembly.Location);
        foreach (string a in new[] { Name, ChildFlag, "--threads", $"{threads}", "--runs", $"{runs}" })
            start.ArgumentList.Add(a);
        start.Environment["DOTNET_TieredCompilation"] = "0";
        if (disableAvx512) start.Environment["DOTNET_EnableAVX512"] = "0";
        using var child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0)
            throw new InvalidOperationException($"the {(disableAvx512 ? "AVX2" : "AVX-512")} child process failed (exit {child.ExitCode})");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .ToDictionary(fields => fields[0], fields => double.Parse(fields[1], CultureInfo.InvariantCulture));
    }

    private static double WallSeconds(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
