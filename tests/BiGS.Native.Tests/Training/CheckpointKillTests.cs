using System.Diagnostics;
using System.Text;
using System.Text.Json;
using BiGS.Native.Checkpoints;
using BiGS.Native.Modeling;
using BiGS.Native.Training;
using BiGS.Native.Tests.Distributed;

namespace BiGS.Native.Tests.Training;

/// <summary>
/// Runs the built <c>bigs pretrain</c> as a child process, saving a checkpoint every update, and kills it with
/// SIGKILL at random instants (saves take most of its time, so most kills land inside one); then interrupts it
/// with SIGINT and runs the command it prints. Every checkpoint left must be whole, every resume must start from
/// the newest one, and the finished run must end bit for bit where an uninterrupted run ends.
/// </summary>
public class CheckpointKillTests : IDisposable
{
    private const int Steps = 80;
    private const int SigInt = 2;
    private const int Kills = 5;
    private readonly TemporaryDirectory work = new();

    /// <inheritdoc />
    public void Dispose() => work.Dispose();

    [Fact]
    public void Killed_at_random_instants_every_checkpoint_is_whole_and_the_resumed_run_ends_as_an_uninterrupted_one()
    {
        var inputs = TinyPretrainInputs.Create(work);
        string reference = Path.Combine(work.Path, "reference"), run = Path.Combine(work.Path, "killed");
        var (exit, output) = Child.Run(inputs.Args(reference, Steps), work.Path);
        Assert.True(exit == 0, output);

        var random = new Random(16);
        // the kills stop half-way at the latest, so that the interrupted session below still has updates to run
        for (int kill = 0; kill < Kills && (LatestCheckpoint(run) is not { } reached || StepOf(reached) < Steps / 2); kill++)
        {
            string? latest = LatestCheckpoint(run);
            using var child = Child.Start([.. inputs.Args(run, Steps), "--save-every", "1", .. ResumeArgs(latest, run)], work.Path);
            child.WaitForLine(IsSavedLine);   // this session has saved once: the kill falls amid its next updates and saves
            SleepIntoNextCycle(child, random);
            string killedOutput = child.Kill();
            if (latest is not null && killedOutput.Contains("resumed from"))
                Assert.Contains($"resumed from {latest} at step {StepOf(latest)}", killedOutput);
            AssertEveryCheckpointWhole(run);
        }

        Assert.NotNull(LatestCheckpoint(run));
        using (var child = Child.Start([.. inputs.Args(run, Steps), "--save-every", "1", .. ResumeArgs(LatestCheckpoint(run), run)], work.Path))
        {
            child.WaitForLine(IsSavedLine);
            SleepIntoNextCycle(child, random);
            (exit, output) = child.Interrupt();
            Assert.True(exit == 130, output);
            AssertEveryCheckpointWhole(run);
            string command = output.Split('\n').Select(l => l.Trim()).Single(l => l.Contains("continue with: ")).Split("continue with: ")[1];
            string[] words = ShellWords(command);
            Assert.Equal(["bigs", "pretrain"], words[..2]);
            Assert.Equal(["--resume", run], words[^2..]);
            (exit, output) = Child.Run(words[1..], work.Path);
            Assert.True(exit == 0, output);
        }

        string finished = TrainingCheckpoint.DirectoryFor(Path.Combine(run, RunDirectory.CheckpointFolder), Steps);
        string expected = TrainingCheckpoint.DirectoryFor(Path.Combine(reference, RunDirectory.CheckpointFolder), Steps);
        foreach (string file in new[] { PretrainedLoader.SafeTensorsFile, TrainingCheckpoint.OptimizerFile, TrainingCheckpoint.StateFile })
            Assert.True(File.ReadAllBytes(Path.Combine(expected, file)).SequenceEqual(File.ReadAllBytes(Path.Combine(finished, file))), $"{file} differs");
        Assert.Equal(Losses(reference), Losses(run));
        Assert.Equal([Path.GetFileName(finished)], Directory.GetFileSystemEntries(Path.Combine(run, RunDirectory.CheckpointFolder)).Select(Path.GetFileName));
        Assert.DoesNotContain(Directory.GetFiles(run), f => Path.GetFileName(f).EndsWith(".tmp", StringComparison.Ordinal));
    }

    /// <summary>
    /// Times one update-and-save cycle (up to the next saved line), then sleeps a random part of another: the signal
    /// that follows lands at a random instant of the cycle after, however fast or loaded the machine is, and a session
    /// never runs far past its resume point (a fixed sleep let a quiet machine finish the run before the signal).
    /// </summary>
    private static void SleepIntoNextCycle(Child child, Random random)
    {
        var cycle = Stopwatch.StartNew();
        child.WaitForLine(IsSavedLine);
        Thread.Sleep(TimeSpan.FromTicks((long)(random.NextDouble() * cycle.Elapsed.Ticks)));
    }

    /// <summary>The line bigs prints (standard output redirected) after each checkpoint it saves.</summary>
    private static bool IsSavedLine(string line) => line.StartsWith("saved checkpoint", StringComparison.Ordinal);

    private static string[] ResumeArgs(string? latest, string run) => latest is null ? [] : ["--resume", run];

    private static string? LatestCheckpoint(string run)
    {
        try { return TrainingCheckpoint.FindLatest(run); }
        catch (DirectoryNotFoundException) { return null; }
    }

    private static int StepOf(string checkpoint) => int.Parse(Path.GetFileName(checkpoint)["step-".Length..]);

    /// <summary>Every step-N directory holds a loadable checkpoint; anything else is a partial one, named as such.</summary>
    private static void AssertEveryCheckpointWhole(string run)
    {
        string folder = Path.Combine(run, RunDirectory.CheckpointFolder);
        if (!Directory.Exists(folder)) return;
        foreach (string directory in Directory.GetDirectories(folder))
        {
            string name = Path.GetFileName(directory);
            if (name.StartsWith(".partial-step-", StringComparison.Ordinal)) continue;
            Assert.StartsWith("step-", name);
            Assert.True(TrainingCheckpoint.IsComplete(directory), $"{name} has no {TrainingCheckpoint.StateFile}");
            Assert.Equal(StepOf(directory), JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, TrainingCheckpoint.StateFile))).RootElement.GetProperty("step").GetInt32());
            foreach (string weights in new[] { PretrainedLoader.SafeTensorsFile, TrainingCheckpoint.OptimizerFile })
                using (var reader = SafeTensorsReader.Open(Path.Combine(directory, weights)))
                    Assert.NotEmpty(reader.Shapes);
            Assert.Equal(TrainingTestKit.Config().HiddenSize, BiGSConfig.Load(directory).HiddenSize);
            Assert.True(File.Exists(Path.Combine(directory, "vocab.txt")));
        }
    }

    private static double[] Losses(string run) =>
        [.. File.ReadAllLines(Path.Combine(run, MetricsLog.LogFile)).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(r => !r.TryGetProperty("eval", out _)).Select(r => r.GetProperty("loss").GetDouble())];

    /// <summary>Splits a command line the way a POSIX shell does for plain and single-quoted words.</summary>
    private static string[] ShellWords(string command)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false, quoted = false;
        foreach (char c in command)
        {
            if (c == '\'') { quoted = !quoted; inWord = true; }
            else if (c == ' ' && !quoted) { if (inWord) words.Add(word.ToString()); word.Clear(); inWord = false; }
            else { word.Append(c); inWord = true; }
        }
        if (inWord) words.Add(word.ToString());
        return [.. words];
    }

    /// <summary>The built bigs.dll run by the dotnet host, its output collected.</summary>
    private sealed class Child : IDisposable
    {
        private readonly Process process;
        private readonly StringBuilder output = new();

        private Child(Process process) => this.process = process;

        public static Child Start(string[] args, string workingDirectory)
        {
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "bigs.dll"));
            foreach (string arg in args) start.ArgumentList.Add(arg);
            BigsProcess.LetChildrenTakeSigInt();
            var child = new Child(Process.Start(start)!);
            child.process.ErrorDataReceived += (_, e) => { lock (child.output) child.output.AppendLine(e.Data); };
            child.process.BeginErrorReadLine();
            return child;
        }

        /// <summary>Runs to the end; returns the exit code and everything it wrote.</summary>
        public static (int ExitCode, string Output) Run(string[] args, string workingDirectory)
        {
            using var child = Start(args, workingDirectory);
            string text = child.Finish();
            return (child.process.ExitCode, text);
        }

        /// <summary>Reads standard output until a line matches (the rest is read by Kill or Interrupt).</summary>
        public void WaitForLine(Func<string, bool> match)
        {
            while (process.StandardOutput.ReadLine() is { } line)
            {
                lock (output) output.AppendLine(line);
                if (match(line)) return;
            }
            Assert.Fail($"bigs ended before the expected line: {output}");
        }

        /// <summary>SIGKILL, then everything it wrote.</summary>
        public string Kill()
        {
            process.Kill(entireProcessTree: true);
            return Finish();
        }

        /// <summary>SIGINT (what Ctrl-C sends), then its exit code and everything it wrote.</summary>
        public (int ExitCode, string Output) Interrupt()
        {
            BigsProcess.Signal(process.Id, SigInt);   // at once: starting a kill(1) process let a quiet machine finish the run first
            string text = Finish();
            return (process.ExitCode, text);
        }

        private string Finish()
        {
            string rest = process.StandardOutput.ReadToEnd();
            Assert.True(process.WaitForExit(60_000), "bigs did not exit");
            process.WaitForExit();
            lock (output) return output.Append(rest).ToString();
        }

        public void Dispose() => process.Dispose();
    }
}
