using System.Linq.Expressions;

namespace BiGS.Native.Gpu;

/// <summary>
/// Launch counts of one accelerator's kernels by readable name. <see cref="Counted"/> wraps a compiled kernel's launch
/// delegate in one of the same type that first adds one to the kernel's counter, so every launch is counted whichever
/// way the backend calls it.
/// </summary>
internal sealed class KernelLaunchCounters
{
    private readonly Dictionary<string, LaunchCounter> counters = [];

    /// <summary>
    /// <paramref name="launch"/> wrapped: (args) => { counter(name)++; launch(args); }, compiled once to a delegate of
    /// <paramref name="launch"/>'s own type. Kernels loaded under the same name share one counter.
    /// </summary>
    public Delegate Counted(string name, Delegate launch)
    {
        LaunchCounter counter;
        lock (counters)
        {
            if (!counters.TryGetValue(name, out counter!)) counters[name] = counter = new LaunchCounter();
        }
        var parameters = launch.GetType().GetMethod("Invoke")!.GetParameters().Select(p => Expression.Parameter(p.ParameterType, p.Name)).ToArray();
        var body = Expression.Block(
            Expression.Call(Expression.Constant(counter), typeof(LaunchCounter).GetMethod(nameof(LaunchCounter.Increment))!),
            Expression.Invoke(Expression.Constant(launch), parameters));
        return Expression.Lambda(launch.GetType(), body, parameters).Compile();
    }

    /// <summary>The launches so far of every kernel loaded, by name.</summary>
    public Dictionary<string, long> Read()
    {
        lock (counters) return counters.ToDictionary(pair => pair.Key, pair => pair.Value.Count);
    }

    /// <summary>One kernel's launch count (shared by the threads that launch it).</summary>
    private sealed class LaunchCounter
    {
        private long count;

        public long Count => Interlocked.Read(ref count);

        public void Increment() => Interlocked.Increment(ref count);
    }
}
