using System.Linq.Expressions;
using ILGPU.Runtime;

namespace BiGS.Native.Gpu;

/// <summary>
/// Launch counts of one accelerator's kernels by readable name, and, while <see cref="TimesKernels"/> is on, their time
/// on the device. <see cref="Counted"/> wraps a compiled kernel's launch delegate in one of the same type that first adds
/// one to the kernel's counter, so every launch is counted whichever way the backend calls it.
/// </summary>
/// <param name="timedOn">
/// The accelerator whose stream the timed launches are bracketed on (profiling markers: CUDA events, OpenCL events, host
/// timestamps on ILGPU's CPU accelerator); null where launches do nothing (<c>ilgpu-dry</c>), which times nothing.
/// </param>
internal sealed class KernelLaunchCounters(Accelerator? timedOn)
{
    /// <summary>Timed launches kept unread at most: beyond it a launch first waits for the oldest to be read.</summary>
    private const int MaxPendingTimings = 4096;

    private readonly Dictionary<string, LaunchCounter> counters = [];
    private readonly Queue<(LaunchCounter Counter, ProfilingMarker Start, ProfilingMarker End)> pending = new();
    private volatile bool timesKernels;

    /// <summary>
    /// Whether each launch from now on is bracketed by two profiling markers and its device time added to its kernel's
    /// (read by <see cref="ReadMilliseconds"/>). Each marker is one more call into the driver per launch, and reading
    /// waits for the device: a profiling mode, off by default. Ignored without an accelerator to time on.
    /// </summary>
    public bool TimesKernels
    {
        get => timesKernels;
        set => timesKernels = value && timedOn is not null;
    }

    /// <summary>
    /// <paramref name="launch"/> wrapped: (args) => { counter(name)++; start = Begin(); launch(args); End(counter, start); },
    /// compiled once to a delegate of <paramref name="launch"/>'s own type (Begin gives null while not timing, and End
    /// then does nothing). Kernels loaded under the same name share one counter.
    /// </summary>
    public Delegate Counted(string name, Delegate launch)
    {
        LaunchCounter counter;
        lock (counters)
        {
            if (!counters.TryGetValue(name, out counter!)) counters[name] = counter = new LaunchCounter();
        }
        var parameters = launch.GetType().GetMethod("Invoke")!.GetParameters().Select(p => Expression.Parameter(p.ParameterType, p.Name)).ToArray();
        var start = Expression.Variable(typeof(ProfilingMarker), "start");
        var self = Expression.Constant(this);
        var body = Expression.Block([start],
            Expression.Call(Expression.Constant(counter), typeof(LaunchCounter).GetMethod(nameof(LaunchCounter.Increment))!),
            Expression.Assign(start, Expression.Call(self, typeof(KernelLaunchCounters).GetMethod(nameof(Begin))!)),
            Expression.Invoke(Expression.Constant(launch), parameters),
            Expression.Call(self, typeof(KernelLaunchCounters).GetMethod(nameof(End))!, Expression.Constant(counter), start));
        return Expression.Lambda(launch.GetType(), body, parameters).Compile();
    }

    /// <summary>The launches so far of every kernel loaded, by name.</summary>
    public Dictionary<string, long> Read()
    {
        lock (counters) return counters.ToDictionary(pair => pair.Key, pair => pair.Value.Count);
    }

    /// <summary>
    /// The device milliseconds of every kernel's timed launches so far, by name (0 for a kernel never timed): waits for
    /// the timed launches not yet read to finish.
    /// </summary>
    public Dictionary<string, double> ReadMilliseconds()
    {
        lock (pending)
        {
            while (pending.Count > 0) ReadOldest();
        }
        lock (counters) return counters.ToDictionary(pair => pair.Key, pair => pair.Value.Milliseconds);
    }

    /// <summary>A marker on the stream before a launch while timing; null otherwise.</summary>
    public ProfilingMarker? Begin() => timesKernels ? timedOn!.AddProfilingMarker() : null;

    /// <summary>After a launch begun with a marker: a marker after it, the pair queued for reading.</summary>
    public void End(LaunchCounter counter, ProfilingMarker? start)
    {
        if (start is null) return;
        var end = timedOn!.AddProfilingMarker();
        lock (pending)
        {
            if (pending.Count == MaxPendingTimings) ReadOldest();
            pending.Enqueue((counter, start, end));
        }
    }

    /// <summary>Adds the oldest queued launch's time to its kernel (waiting for it) and frees its markers.</summary>
    private void ReadOldest()
    {
        var (counter, start, end) = pending.Dequeue();
        counter.Add(end - start);
        start.Dispose();
        end.Dispose();
    }

    /// <summary>One kernel's launch count and timed device time (shared by the threads that launch it).</summary>
    internal sealed class LaunchCounter
    {
        private long count;
        private long ticks;

        public long Count => Interlocked.Read(ref count);

        public double Milliseconds => TimeSpan.FromTicks(Interlocked.Read(ref ticks)).TotalMilliseconds;

        public void Increment() => Interlocked.Increment(ref count);

        public void Add(TimeSpan launch) => Interlocked.Add(ref ticks, launch.Ticks);
    }
}
