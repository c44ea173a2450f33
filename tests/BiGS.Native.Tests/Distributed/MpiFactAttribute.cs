using System.Runtime.CompilerServices;

namespace BiGS.Native.Tests.Distributed;

/// <summary>
/// A fact that runs <c>bigs</c> under Open MPI's mpirun: skipped, saying why, where mpirun is not installed,
/// except in CI (CI=true), where <c>.ci/run</c> installs it and a missing mpirun makes the tests fail.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class MpiFactAttribute : FactAttribute
{
    /// <summary>Sets the skip reason when mpirun is unavailable outside CI.</summary>
    public MpiFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        bool inCi = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (!inCi && BigsProcess.Mpirun is null)
            Skip = "mpirun not found: install Open MPI (apt-get install openmpi-bin libopenmpi-dev); these tests are required in CI (CI=true)";
    }
}

/// <summary>Tests that start bigs processes: they run alone, not beside other tests competing for the cores.</summary>
[CollectionDefinition("Processes", DisableParallelization = true)]
public sealed class ProcessesCollection;
