namespace BiGS.Native.Tests;

/// <summary>
/// Tests that read process-wide memory counters (host pool bytes, a device's allocated bytes) run alone: any other
/// test allocating meanwhile would move the counts they compare.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public class MemoryCountersCollection
{
    /// <summary>The collection's name, for [Collection(...)].</summary>
    public const string Name = "Process-wide memory counters";
}
