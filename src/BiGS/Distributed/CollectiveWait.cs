using System.Diagnostics;

namespace BiGS.Native.Distributed;

/// <summary>The watchdog of every collective wait: polls for completion, giving up after a deadline.</summary>
public static class CollectiveWait
{
    /// <summary>How long a wait polls back to back, yielding the core between polls (a collective of a step ends in this time).</summary>
    public static readonly TimeSpan YieldingPhase = TimeSpan.FromMilliseconds(2);

    /// <summary>The longest sleep between polls after the yielding phase (the most a long wait oversleeps its completion).</summary>
    public static readonly TimeSpan LongestPause = TimeSpan.FromMilliseconds(4);

    /// <summary>
    /// Polls <paramref name="done"/> (which also lets the collective progress: MPI_Test, a device stream query) until
    /// it returns true: back to back, yielding the core between polls, for <see cref="YieldingPhase"/>; then sleeping
    /// between polls, 1 ms first and twice as long each time up to <see cref="LongestPause"/>, so that a rank waiting
    /// through another's long evaluation or checkpoint does not keep a core busy. When <paramref name="timeout"/>
    /// passes first, calls <paramref name="onTimeout"/> (to abandon the collective) and throws.
    /// </summary>
    /// <exception cref="CollectiveTimeoutException">No completion within <paramref name="timeout"/>.</exception>
    public static void Until(Func<bool> done, TimeSpan timeout, string collective, Action? onTimeout = null)
    {
        long started = Stopwatch.GetTimestamp();
        var pause = TimeSpan.FromMilliseconds(1);
        while (!done())
        {
            var waited = Stopwatch.GetElapsedTime(started);
            if (timeout != Timeout.InfiniteTimeSpan && waited > timeout)
            {
                onTimeout?.Invoke();
                throw new CollectiveTimeoutException(collective, timeout);
            }
            if (waited < YieldingPhase)
            {
                Thread.Yield();
                continue;
            }
            Thread.Sleep(pause);
            pause = TimeSpan.FromTicks(Math.Min(2 * pause.Ticks, LongestPause.Ticks));
        }
    }
}

/// <summary>
/// A collective did not complete within the communicator's timeout: some rank has stopped taking part (hung, or
/// far slower than the rest). The run cannot go on; abort every rank.
/// </summary>
public sealed class CollectiveTimeoutException(string collective, TimeSpan timeout)
    : Exception(FormattableString.Invariant($"no progress in {collective} for {timeout.TotalSeconds:0.###} s: another rank has stopped responding (the limit is the collective timeout: bigs --collective-timeout)"));
