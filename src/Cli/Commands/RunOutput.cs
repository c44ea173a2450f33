using System.CommandLine;
using System.CommandLine.Parsing;
using BiGS.Native.Training;

namespace BiGS.Native.Cli.Commands;

/// <summary>
/// How training commands treat their output: --out is a run directory owned by its run (a new or empty directory
/// becomes one; anything else needs --overwrite), never the model they start from, and an interrupted run
/// prints the command that continues it.
/// </summary>
internal static class RunOutput
{
    /// <summary>The option that lets a command write into a directory that is not its own run directory.</summary>
    public static Option<bool> CreateOverwriteOption(string kind) => new("--overwrite")
    {
        Description = $"Write into an --out that exists and is not a {kind} run directory (files of the names written are replaced; nothing else is deleted)",
    };

    /// <summary>
    /// Opens <paramref name="directory"/> as the run directory of a <paramref name="kind"/> run, after
    /// <see cref="RequireClaimable"/>; a directory that is not yet a <paramref name="kind"/> run directory becomes one.
    /// </summary>
    public static RunDirectory Claim(string directory, string kind, bool overwrite)
    {
        RequireClaimable(directory, kind, overwrite);
        CliErrors.RequireWritableDirectory(directory, "--out");
        return RunDirectory.KindOf(directory) == kind ? RunDirectory.Open(directory, kind) : RunDirectory.Create(directory, kind);
    }

    /// <summary>
    /// Refuses, writing nothing, a <paramref name="directory"/> a <paramref name="kind"/> run may not take: one that
    /// exists, is not empty and is not a <paramref name="kind"/> run directory, unless <paramref name="overwrite"/>.
    /// </summary>
    public static void RequireClaimable(string directory, string kind, bool overwrite)
    {
        if (File.Exists(directory)) throw new IOException($"--out {directory} is a file, not a directory");
        if (overwrite || !Directory.Exists(directory) || !Directory.EnumerateFileSystemEntries(directory).Any()) return;
        string takeOver = "choose a new directory, or give --overwrite to write into it (files of the names written are replaced; nothing else is deleted)";
        string owner = RunDirectory.KindOf(directory)
            ?? throw new IOException($"--out {directory} exists and is not a {kind} run directory (it has no {RunDirectory.StateFile}); {takeOver}");
        if (owner != kind) throw new IOException($"--out {directory} is a {owner} run directory, not a {kind} one; {takeOver}");
    }

    /// <summary>Refuses an output directory that is, holds or lies inside the model a run starts from.</summary>
    public static void RequireApart(string output, string model, string modelOption)
    {
        string outFull = Full(output), modelFull = Full(model);
        string? relation = outFull == modelFull ? "is"
            : modelFull.StartsWith(outFull + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? "contains"
            : outFull.StartsWith(modelFull + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? "lies inside"
            : null;
        if (relation is not null)
            throw new ArgumentException($"--out {output} {relation} the {modelOption} model {model}; a run never writes into the model it starts from, so choose another --out");
    }

    /// <summary>
    /// The command line that continues an interrupted run in <paramref name="runDirectory"/>: this one, with
    /// --resume (and its value) replaced by <c>--resume RUN_DIRECTORY</c>.
    /// </summary>
    public static string ResumeCommand(ParseResult parsed, string runDirectory)
    {
        var words = new List<string> { "bigs" };
        var tokens = parsed.Tokens;
        for (int i = 0; i < tokens.Count; i++)
        {
            if (tokens[i].Type == TokenType.Option && tokens[i].Value == "--resume")
            {
                if (i + 1 < tokens.Count && tokens[i + 1].Type == TokenType.Argument) i++;
                continue;
            }
            words.Add(tokens[i].Value);
        }
        words.AddRange(["--resume", runDirectory]);
        return string.Join(' ', words.Select(Quote));
    }

    private static string Full(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    /// <summary>A word as a POSIX shell reads it back: single-quoted when it holds anything but safe characters.</summary>
    private static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? word : "'" + word.Replace("'", "'\\''") + "'";
}
