using System.Diagnostics;
using BiGS.Native.Distributed;

namespace BiGS.Native.Tests.Distributed;

/// <summary>
/// <see cref="CollectiveWait.Until"/>: polls back to back only briefly, then sleeps between polls (a rank waiting
/// through another's evaluation leaves its core alone), and still gives up at the timeout.
/// </summary>
public sealed class CollectiveWaitTests
{
    [Fact]
    public void A_long_wait_sleeps_between_polls_after_the_yielding_phase()
    {
        var wait = TimeSpan.FromMilliseconds(300);
        Stopwatch? clock = null;
        int latePolls = 0;
        CollectiveWait.Until(() =>
        {
            // The clock starts at the first poll, after the wait's own clock: a poll late by this clock is late by the
            // wait's too, however long the thread was descheduled before the first poll.
            clock ??= Stopwatch.StartNew();
            if (clock.Elapsed > CollectiveWait.YieldingPhase) latePolls++;
            return clock.Elapsed >= wait;
        }, TimeSpan.FromMinutes(1), "test");

        // Sleeps of 1, 2, then 4 ms make about 75 polls in 300 ms (fewer on a busy machine); polling back to back makes thousands.
        Assert.InRange(latePolls, 1, (int)(wait / (2 * TimeSpan.FromMilliseconds(1))));
    }

    [Fact]
    public void A_completed_collective_is_polled_once()
    {
        int polls = 0;
        CollectiveWait.Until(() => ++polls > 0, TimeSpan.FromMinutes(1), "test");
        Assert.Equal(1, polls);
    }

    [Fact]
    public void A_wait_that_outlasts_the_timeout_abandons_the_collective_and_names_it()
    {
        var timeout = TimeSpan.FromMilliseconds(50);
        var clock = Stopwatch.StartNew();
        bool abandoned = false;
        var error = Assert.Throws<CollectiveTimeoutException>(() => CollectiveWait.Until(() => false, timeout, "broadcast", () => abandoned = true));
        Assert.True(clock.Elapsed >= timeout, $"gave up after {clock.Elapsed}, before the {timeout} timeout");
        Assert.True(abandoned);
        Assert.StartsWith("no progress in broadcast for 0.05 s", error.Message);
    }
}
