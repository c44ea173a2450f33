namespace BiGS.Native.Bench;

/// <summary>
/// A side-by-side comparison run in one process (ours against a yardstick such as OpenBLAS),
/// printing both results and their ratio. Run with <c>dotnet run -c Release --project bench/BiGS.Native.Bench -- NAME [args]</c>.
/// </summary>
public interface ISideBySide
{
    /// <summary>Name used on the command line.</summary>
    string Name { get; }

    /// <summary>One line saying what is compared.</summary>
    string Description { get; }

    /// <summary>Runs the comparison and returns the process exit code.</summary>
    int Run(string[] args);
}
