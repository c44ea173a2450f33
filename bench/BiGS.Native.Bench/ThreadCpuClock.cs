using System.Runtime.InteropServices;

namespace BiGS.Native.Bench;

/// <summary>
/// The calling thread's CPU time (Linux clock_gettime of CLOCK_THREAD_CPUTIME_ID): on a machine shared with other
/// work it does not count time spent descheduled, which wall time does.
/// </summary>
internal static class ThreadCpuClock
{
    private const int ThreadCpuTimeClockId = 3; // CLOCK_THREAD_CPUTIME_ID

    /// <summary>CPU seconds the calling thread has used so far.</summary>
    public static double Seconds()
    {
        if (ClockGetTime(ThreadCpuTimeClockId, out var time) != 0)
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        return time.Seconds + time.Nanoseconds * 1e-9;
    }

    /// <summary>CPU seconds the calling thread spent in <paramref name="action"/>.</summary>
    public static double SecondsOf(Action action)
    {
        double start = Seconds();
        action();
        return Seconds() - start;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);
}
