using System.Diagnostics;
using BiGS.Native.Kernels.Cpu;

namespace BiGS.Native.Bench;

/// <summary>
/// Our SGEMM against OpenBLAS's cblas_sgemm, both on all cores, on the standard shapes. Prints the median
/// GFLOP/s of each (timed in alternating phases, see <see cref="MeasureInPhases"/>), the ratio ours/OpenBLAS,
/// and checks the two results agree.
/// Optional arguments: <c>--trans XY</c> with X, Y in {N, T} to transpose A and/or B (default NN);
/// <c>--threads N</c> to run both on N threads (default <see cref="CpuParallel.ThreadCount"/>);
/// <c>--bigs-base-forward T</c> to run instead the products of a BiGS-base forward step on T tokens
/// (<see cref="ModelGemmShapes"/>, op NT) and add the step's GEMM total: all its FLOPs over all its GEMM time;
/// <c>--cpu-time</c> (with <c>--threads 1</c>, where both libraries compute on the calling thread) to time by that
/// thread's CPU time instead of wall time, so that on a busy machine time spent descheduled is not counted;
/// <c>--openblas-coretype X</c> to give OpenBLAS another kernel than the one that fits the processor
/// (<see cref="OpenBlas.FittingCoreType"/>: SKYLAKEX with AVX-512, HASWELL with AVX2; run the bench with
/// <c>DOTNET_EnableAVX512=0</c> to compare the AVX2 paths of both).
/// Before the shapes it measures OpenBLAS alone at 1024^3 (<see cref="AnchorCheck"/>) and prints that rate; when it
/// is implausibly low for the instruction set, OpenBLAS runs a misdetected kernel and no ratio is reported.
/// </summary>
public sealed class GemmVsOpenBlas : ISideBySide
{
    private const double SecondsPerMeasurement = 1.5;
    private const int Phases = 3, MinRunsPerPhase = 3, MaxRunsPerPhase = 100;
    private static readonly TimeSpan PauseBetweenPhases = TimeSpan.FromMilliseconds(300);

    /// <inheritdoc />
    public string Name => "gemm-vs-openblas";

    /// <inheritdoc />
    public string Description => "SGEMM GFLOP/s: ours vs OpenBLAS cblas_sgemm (libopenblas0-pthread) on square and BiGS shapes";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        var blas = OpenBlas.TryLoad(CommandLineOptions.Value(args, "--openblas-coretype")?.ToUpperInvariant());
        if (blas is null)
        {
            Console.Error.WriteLine($"OpenBLAS is not installed: could not load {OpenBlas.LibraryName}. " +
                "Install it with: apt-get install -y libopenblas0-pthread");
            return 1;
        }
        string trans = CommandLineOptions.Value(args, "--trans")?.ToUpperInvariant() ?? "NN";
        if (trans is not ("NN" or "NT" or "TN" or "TT"))
        {
            Console.Error.WriteLine($"unknown transpose '{trans}': use --trans NN, NT, TN or TT");
            return 2;
        }
        if (CommandLineOptions.Value(args, "--threads") is string threads)
            CpuParallel.ThreadCount = int.Parse(threads);
        bool cpuTime = args.Contains("--cpu-time");
        if (cpuTime && CpuParallel.ThreadCount != 1)
        {
            Console.Error.WriteLine("--cpu-time needs --threads 1: it counts only the calling thread's CPU time");
            return 2;
        }
        Func<Action, double> time = cpuTime ? ThreadCpuClock.SecondsOf : WallSeconds;
        var modelTokens = CommandLineOptions.Value(args, "--bigs-base-forward");
        if (modelTokens is not null) trans = "NT";
        var shapes = modelTokens is null
            ? GemmShape.Standard.Select(s => (Shape: s, Calls: 1)).ToList()
            : [.. ModelGemmShapes.BaseForward(int.Parse(modelTokens))];
        bool transA = trans[0] == 'T', transB = trans[1] == 'T';
        blas.SetThreads(CpuParallel.ThreadCount);
        Console.WriteLine($"threads {CpuParallel.ThreadCount}, op {trans}, {(cpuTime ? "thread CPU" : "wall")} time, " +
            "median of runs in alternating phases");
        Console.WriteLine($"OpenBLAS core type {blas.CoreTypeNote}; our micro-kernel {Gemm.MicroKernel}");
        if (!AnchorCheck.Passes(blas, CpuParallel.ThreadCount, time))
            return 4;
        Console.WriteLine($"{"m x k x n",-16} {"ours GFLOP/s",13} {"OpenBLAS",10} {"ratio",7} {"max |diff|",11}");

        bool allAgree = true;
        double stepFlops = 0, oursStepSeconds = 0, theirsStepSeconds = 0;
        foreach (var (shape, calls) in shapes)
        {
            var (a, lda, b, ldb, ours) = shape.CreateOperands(transA, transB);
            float[] theirs = new float[ours.Length];
            void RunOurs() => Gemm.Sgemm(transA, transB, shape.M, shape.N, shape.K, 1f, a, lda, b, ldb, 0f, ours, shape.N);
            void RunTheirs() => blas.Sgemm(transA, transB, shape.M, shape.N, shape.K, 1f, a, lda, b, ldb, 0f, theirs, shape.N);

            var (oursSeconds, theirsSeconds) = MeasureInPhases(RunOurs, RunTheirs, time);
            double maxDiff = ours.Zip(theirs, (x, y) => (double)Math.Abs(x - y)).Max();
            // Values lie in [-1, 1), so 1e-5 * k bounds the rounding difference of two float summation orders.
            bool agree = maxDiff <= 1e-5 * shape.K;
            allAgree &= agree;
            double oursGflops = shape.Flops / oursSeconds / 1e9, theirsGflops = shape.Flops / theirsSeconds / 1e9;
            Console.WriteLine($"{shape,-16} {oursGflops,13:F1} {theirsGflops,10:F1} {oursGflops / theirsGflops,7:F2} " +
                $"{maxDiff,11:E1}{(agree ? "" : "  DISAGREE")}");
            stepFlops += calls * shape.Flops;
            oursStepSeconds += calls * oursSeconds;
            theirsStepSeconds += calls * theirsSeconds;
        }
        if (modelTokens is not null)
        {
            double oursGflops = stepFlops / oursStepSeconds / 1e9, theirsGflops = stepFlops / theirsStepSeconds / 1e9;
            Console.WriteLine($"{"forward step, all GEMMs",-26} {oursGflops,13:F1} {theirsGflops,10:F1} {oursGflops / theirsGflops,7:F2}");
        }
        return allAgree ? 0 : 3;
    }

    /// <summary>
    /// Median seconds per call of each action. The two are timed in alternating phases (first, second, first, ...)
    /// so slow drifts in machine load hit both alike. Each phase starts after a pause, which lets OpenBLAS's worker
    /// threads stop spinning (they busy-wait for new work for a while after each call and would otherwise steal a
    /// core from the other library), and with one untimed warm-up call.
    /// </summary>
    private static (double First, double Second) MeasureInPhases(Action first, Action second, Func<Action, double> time)
    {
        double perCall = time(first) + time(second);
        int runsPerPhase = (int)Math.Clamp(SecondsPerMeasurement / Phases / perCall, MinRunsPerPhase, MaxRunsPerPhase);
        var firstTimes = new List<double>();
        var secondTimes = new List<double>();
        for (int phase = 0; phase < Phases; phase++)
        {
            TimePhase(first, runsPerPhase, firstTimes, time);
            TimePhase(second, runsPerPhase, secondTimes, time);
        }
        return (Median(firstTimes), Median(secondTimes));
    }

    private static void TimePhase(Action action, int runs, List<double> times, Func<Action, double> time)
    {
        Thread.Sleep(PauseBetweenPhases);
        action();
        for (int i = 0; i < runs; i++)
            times.Add(time(action));
    }

    private static double WallSeconds(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
