using System.Diagnostics;
using System.Runtime.InteropServices;

namespace BiGS.Native.Tests.Distributed;

/// <summary>
/// Runs the built <c>bigs</c> tool as separate processes: alone (<c>dotnet bigs.dll ...</c>) or as N ranks
/// (<c>mpirun --allow-run-as-root --oversubscribe -np N dotnet bigs.dll ...</c>), each with one compute thread.
/// </summary>
internal sealed class BigsProcess : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);
    private readonly Process process;
    private readonly System.Text.StringBuilder output = new();

    private BigsProcess(int ranks, IReadOnlyDictionary<string, string> environment, string[] args)
    {
        string bigs = Path.Combine(AppContext.BaseDirectory, "bigs.dll");
        var start = new ProcessStartInfo(ranks == 1 ? "dotnet" : Mpirun ?? throw new InvalidOperationException("mpirun is not installed"));
        var variables = new Dictionary<string, string>(environment) { ["DOTNET_PROCESSOR_COUNT"] = "1" };
        string[] exported = [.. variables.Keys.SelectMany(name => new[] { "-x", name })];
        string[] launcher = ranks == 1 ? [] : ["--allow-run-as-root", "--oversubscribe", "-np", ranks.ToString(), .. exported, "dotnet"];
        foreach (string a in launcher.Append(bigs).Concat(args)) start.ArgumentList.Add(a);
        foreach (var (name, value) in variables) start.Environment[name] = value;
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        start.UseShellExecute = false;
        LetChildrenTakeSigInt();
        process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + start.FileName);
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>mpirun's path, or null when Open MPI is not installed.</summary>
    public static string? Mpirun { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
        .Select(dir => Path.Combine(dir, "mpirun")).FirstOrDefault(File.Exists);

    /// <summary>Standard output and error so far.</summary>
    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    /// <summary>Starts <c>bigs args</c> on <paramref name="ranks"/> ranks.</summary>
    public static BigsProcess Start(int ranks, params string[] args) => new(ranks, new Dictionary<string, string>(), args);

    /// <summary>Runs to the end; returns the exit code and output.</summary>
    public static (int ExitCode, string Output) Run(int ranks, params string[] args) =>
        Run(ranks, new Dictionary<string, string>(), args);

    /// <summary>Runs to the end with extra environment variables on every rank; returns the exit code and output.</summary>
    public static (int ExitCode, string Output) Run(int ranks, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var run = new BigsProcess(ranks, environment, args);
        return (run.WaitForExit(), run.Output);
    }

    /// <summary>Waits (at most a few minutes, then kills everything) and returns the exit code.</summary>
    public int WaitForExit()
    {
        if (!process.WaitForExit(Limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bigs did not finish within {Limit}:\n{Output}");
        }
        process.WaitForExit(); // drains the output
        return process.ExitCode;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing after the time limit or if the run ends first.</summary>
    public void WaitUntil(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (process.HasExited) throw new InvalidOperationException($"bigs ended before {what}:\n{Output}");
            if (clock.Elapsed > Limit) throw new TimeoutException($"no {what} within {Limit}:\n{Output}");
            Thread.Sleep(50);
        }
    }

    /// <summary>The bigs processes of this run: the process itself, or mpirun's children, by MPI rank.</summary>
    public IReadOnlyDictionary<int, int> RankProcessIds()
    {
        if (Path.GetFileName(process.StartInfo.FileName) != "mpirun") return new Dictionary<int, int> { [0] = process.Id };
        var ranks = new Dictionary<int, int>();
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out int pid) || ParentOf(pid) != process.Id) continue;
            if (RankOf(pid) is { } rank) ranks[rank] = pid;
        }
        return ranks;
    }

    /// <summary>Sends a POSIX signal (SIGINT 2, SIGKILL 9) to a process.</summary>
    public static void Signal(int pid, int signal)
    {
        if (kill(pid, signal) != 0) throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>True while a process with this id exists (and is not a zombie).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (output) output.AppendLine(line);
    }

    private static int? ParentOf(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static int? RankOf(int pid)
    {
        try
        {
            foreach (string variable in File.ReadAllText($"/proc/{pid}/environ").Split('\0'))
                if (variable.StartsWith("OMPI_COMM_WORLD_RANK=", StringComparison.Ordinal)) return int.Parse(variable[21..]);
        }
        catch (IOException) { }
        return null;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    /// <summary>
    /// Gives the processes started from now on the default SIGINT disposition. A test run started in the background
    /// (as CI may start it) inherits SIGINT ignored, an ignored signal stays ignored across exec, and .NET then installs
    /// no Ctrl-C handler: bigs would never see the interrupt a test sends.
    /// </summary>
    public static void LetChildrenTakeSigInt() => signal(2, IntPtr.Zero);   // SIG_DFL

    [DllImport("libc")]
    private static extern IntPtr signal(int signal, IntPtr handler);
}
