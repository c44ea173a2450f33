using System.Collections.Concurrent;

namespace BiGS.Native.Gpu;

/// <summary>
/// The fastest of a few ways to run each problem, timed the first time the problem is seen and kept for the rest of the
/// process: the GEMM's plans (<see cref="GemmTileTuner"/>) and the SSM convolution's FFT path
/// (<see cref="IlgpuBackend.FftPaths"/>). Safe to use from several threads.
/// </summary>
public sealed class FastestChoices<TProblem, TChoice>
    where TProblem : notnull
    where TChoice : notnull
{
    private readonly ConcurrentDictionary<TProblem, TChoice> chosen = new();
    private readonly ConcurrentDictionary<TProblem, IReadOnlyDictionary<TChoice, double>> timings = new();

    /// <summary>The choice each problem measured so far runs with, for reports.</summary>
    public IReadOnlyDictionary<TProblem, TChoice> Chosen => chosen;

    /// <summary>The seconds per run each candidate took when each problem in <see cref="Chosen"/> was measured.</summary>
    public IReadOnlyDictionary<TProblem, IReadOnlyDictionary<TChoice, double>> Timings => timings;

    /// <summary>The choice measured before for <paramref name="problem"/>; false when it is new. Allocates nothing.</summary>
    public bool TryGet(TProblem problem, out TChoice choice) => chosen.TryGetValue(problem, out choice!);

    /// <summary>
    /// Times each of <paramref name="candidates"/> once with <paramref name="secondsPerRun"/>, records the times in
    /// <see cref="Timings"/> and keeps the fastest (the first of equals) for <paramref name="problem"/> from now on.
    /// </summary>
    public TChoice Measure(TProblem problem, IReadOnlyList<TChoice> candidates, Func<TChoice, double> secondsPerRun)
    {
        var seconds = candidates.ToDictionary(candidate => candidate, secondsPerRun);
        timings[problem] = seconds;
        return chosen.GetOrAdd(problem, candidates.MinBy(candidate => seconds[candidate])!);
    }
}
