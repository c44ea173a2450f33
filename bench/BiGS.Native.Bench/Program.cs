using System.Reflection;
using BenchmarkDotNet.Running;

namespace BiGS.Native.Bench;

/// <summary>
/// Entry point: a side-by-side comparison by name, or BenchmarkDotNet's switcher for the rest
/// (e.g. <c>--filter *Gemm*</c>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var comparisons = DiscoverComparisons();
        if (args.Length > 0 && comparisons.TryGetValue(args[0], out var comparison))
            return comparison.Run(args[1..]);
        if (args.Length > 0 && args[0] == "list")
        {
            foreach (var c in comparisons.Values.OrderBy(c => c.Name))
                Console.WriteLine($"{c.Name,-24} {c.Description}");
            return 0;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }

    private static Dictionary<string, ISideBySide> DiscoverComparisons() =>
        typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(ISideBySide).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false })
            .Select(t => (ISideBySide)Activator.CreateInstance(t)!)
            .ToDictionary(c => c.Name);
}
