using System.Diagnostics;

namespace BiGS.Native.Distributed;

/// <summary>The watchdog of every collective wait: polls for completion, giving up after a deadline.</summary>
public static class CollectiveWait
{
    /// <summary>
    /// Polls <paramref name="done"/> (which also lets the collective progress: MPI_Test, a device stream query),
    /// yielding the core between polls, until it returns true. When <paramref name="timeout"/> passes first,
    /// calls <paramref name="onTimeout"/> (to abandon the collective) and throws.
    /// </summary>
    /// <exception cref="CollectiveTimeoutException">No completion within <paramref name="timeout"/>.</exception>
    public static void Until(Func<bool> done, TimeSpan timeout, string collective, Action? onTimeout = null)
    {
        long started = Stopwatch.GetTimestamp();
        while (!done())
        {
            if (timeout != Timeout.InfiniteTimeSpan && Stopwatch.GetElapsedTime(started) > timeout)
            {
                onTimeout?.Invoke();
                throw new CollectiveTimeoutException(collective, timeout);
            }
            Thread.Yield();
        }
    }
}

/// <summary>
/// A collective did not complete within the communicator's timeout: some rank has stopped taking part (hung, or
/// far slower than the rest). The run cannot go on; abort every rank.
/// </summary>
public sealed class CollectiveTimeoutException(string collective, TimeSpan timeout)
    : Exception(FormattableString.Invariant($"no progress in {collective} for {timeout.TotalSeconds:0.###} s: another rank has stopped responding (the limit is the collective timeout: bigs --collective-timeout)"));
