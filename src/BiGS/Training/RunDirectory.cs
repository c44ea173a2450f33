using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BiGS.Native.Training;

/// <summary>
/// The output directory of a training run, owned by the run: <c>bigs_run.json</c> names the kind of run that owns
/// it ("pretrain", "finetune", ...) and lists the checkpoints it wrote under <c>checkpoints/</c>. Rotation deletes
/// only listed checkpoints, so files of anyone else are never touched.
/// <para>
/// A checkpoint appears whole or not at all: <see cref="SaveCheckpoint"/> writes it into
/// <c>checkpoints/.partial-step-NNNNNN</c>, flushes every file and the directory, lists the name, renames the
/// directory into place and flushes <c>checkpoints/</c>. A kill at any instant leaves either the complete
/// checkpoint or a partial directory that <see cref="RemoveStaleTemporaries"/> (run by <see cref="Open"/>)
/// deletes by its name on the next start. In a data-parallel run only one process (rank 0) should hold a
/// RunDirectory and write through it.
/// </para>
/// </summary>
public sealed class RunDirectory
{
    /// <summary>The file that marks a run directory: its kind and the checkpoints it wrote.</summary>
    public const string StateFile = "bigs_run.json";

    /// <summary>The folder of checkpoints inside a run directory.</summary>
    public const string CheckpointFolder = "checkpoints";

    private const string FormatName = "bigs-run";
    private const string CheckpointPrefix = "step-";
    private const string PartialPrefix = ".partial-";

    private readonly List<string> checkpoints;
    private readonly HashSet<string> savedThisSession = [];

    private RunDirectory(string path, string kind, List<string> checkpoints)
    {
        Path = path;
        Kind = kind;
        this.checkpoints = checkpoints;
    }

    /// <summary>The run directory's path, as given.</summary>
    public string Path { get; }

    /// <summary>What kind of run owns the directory, as the command that made it is named ("pretrain", "finetune").</summary>
    public string Kind { get; }

    /// <summary>Names (step-NNNNNN) of the checkpoints this run directory wrote and still holds, oldest first.</summary>
    public IReadOnlyList<string> Checkpoints => checkpoints;

    /// <summary>The folder under <see cref="Path"/> that holds the run's checkpoints, one step-NNNNNN folder each.</summary>
    public string CheckpointsPath => System.IO.Path.Combine(Path, CheckpointFolder);

    /// <summary>The newest listed checkpoint that exists, or null.</summary>
    public string? LatestCheckpoint => checkpoints.Select(CheckpointPath).Where(Directory.Exists).LastOrDefault();

    /// <summary>The directory a checkpoint of <paramref name="step"/> gets under <paramref name="checkpointsPath"/>.</summary>
    public static string CheckpointDirectory(string checkpointsPath, int step) =>
        System.IO.Path.Combine(checkpointsPath, CheckpointPrefix + step.ToString("D6", CultureInfo.InvariantCulture));

    /// <summary>True when <paramref name="path"/> holds a run directory's state file.</summary>
    public static bool IsRunDirectory(string path) => File.Exists(System.IO.Path.Combine(path, StateFile));

    /// <summary>The kind of run that owns <paramref name="path"/>, or null when it is no run directory; changes nothing.</summary>
    /// <exception cref="InvalidDataException">The state file is unreadable.</exception>
    public static string? KindOf(string path) => TryRead(path)?.Kind;

    /// <summary>
    /// Opens the run directory at <paramref name="path"/> (and removes stale temporaries of a killed session), or
    /// makes it one of <paramref name="kind"/> when it has no state file yet. Whether a directory may be taken
    /// over is the caller's decision (see <see cref="IsRunDirectory"/>); this never deletes anything it did not write.
    /// </summary>
    /// <exception cref="InvalidDataException">The state file is unreadable.</exception>
    public static RunDirectory Open(string path, string kind)
    {
        var run = TryRead(path) ?? Create(path, kind);
        run.RemoveStaleTemporaries();
        return run;
    }

    /// <summary>The run directory whose checkpoint <paramref name="checkpoint"/> is (RUN/checkpoints/step-N), or null.</summary>
    public static string? Containing(string checkpoint)
    {
        string full = System.IO.Path.GetFullPath(checkpoint).TrimEnd(System.IO.Path.DirectorySeparatorChar);
        if (IsRunDirectory(full)) return full;
        string? folder = System.IO.Path.GetDirectoryName(full);
        string? run = folder is null ? null : System.IO.Path.GetDirectoryName(folder);
        return folder is not null && System.IO.Path.GetFileName(folder) == CheckpointFolder && run is not null && IsRunDirectory(run) ? run : null;
    }

    /// <summary>
    /// Writes the checkpoint of <paramref name="step"/>: <paramref name="writeFiles"/> fills a fresh temporary
    /// directory (each file flushed to disk, as <see cref="AtomicFile"/> does), which then appears under its
    /// final name in one rename. Older listed checkpoints are deleted afterwards. Saving a step this session
    /// already saved returns the existing directory. Returns the checkpoint's directory.
    /// </summary>
    /// <exception cref="IOException">The checkpoint's name is taken by a directory this run did not write.</exception>
    public string SaveCheckpoint(int step, Action<string> writeFiles)
    {
        string final = CheckpointDirectory(CheckpointsPath, step), name = System.IO.Path.GetFileName(final);
        if (savedThisSession.Contains(name) && Directory.Exists(final)) return final;
        if (Directory.Exists(final) && !checkpoints.Contains(name))
            throw new IOException($"{final} exists but was not written by this run ({StateFile} does not list it); move it away");
        string partial = System.IO.Path.Combine(CheckpointsPath, PartialPrefix + name);
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(partial);
        writeFiles(partial);
        DirectorySync.Flush(partial);
        if (!checkpoints.Contains(name))
        {
            checkpoints.Add(name);   // listed before it appears: a kill leaves at most a listed name with no directory
            WriteState();
        }
        if (Directory.Exists(final)) DeleteWhole(final);   // ours (listed), from an earlier session
        Directory.Move(partial, final);
        DirectorySync.Flush(CheckpointsPath);
        savedThisSession.Add(name);
        DeleteCheckpointsOtherThan(name);
        return final;
    }

    /// <summary>
    /// Deletes what a killed session of this run may have left: partial checkpoint directories and
    /// <see cref="AtomicFile"/> temp files, recognised by their names, in the run directory and checkpoints/.
    /// </summary>
    public void RemoveStaleTemporaries()
    {
        if (Directory.Exists(CheckpointsPath))
            foreach (string partial in Directory.EnumerateDirectories(CheckpointsPath, PartialPrefix + CheckpointPrefix + "*"))
                Directory.Delete(partial, recursive: true);
        foreach (string folder in new[] { Path, CheckpointsPath }.Where(Directory.Exists))
            foreach (string file in Directory.EnumerateFiles(folder).Where(f => AtomicFile.IsTemporary(System.IO.Path.GetFileName(f))))
                File.Delete(file);
    }

    private string CheckpointPath(string name) => System.IO.Path.Combine(CheckpointsPath, name);

    /// <summary>
    /// Deletes a checkpoint so that it disappears whole: renamed first (atomic) to a partial name that
    /// <see cref="RemoveStaleTemporaries"/> cleans, then deleted file by file. A kill amid a recursive delete would
    /// otherwise leave a step-N directory with some of its files.
    /// </summary>
    private void DeleteWhole(string checkpoint)
    {
        string doomed = System.IO.Path.Combine(CheckpointsPath, PartialPrefix + System.IO.Path.GetFileName(checkpoint) + ".deleted");
        if (Directory.Exists(doomed)) Directory.Delete(doomed, recursive: true);
        Directory.Move(checkpoint, doomed);
        Directory.Delete(doomed, recursive: true);
    }

    private void DeleteCheckpointsOtherThan(string kept)
    {
        var older = checkpoints.Where(n => n != kept).ToList();
        if (older.Count == 0) return;
        foreach (string name in older)
            if (Directory.Exists(CheckpointPath(name))) DeleteWhole(CheckpointPath(name));
        checkpoints.RemoveAll(older.Contains);
        WriteState();
    }

    /// <summary>
    /// Makes <paramref name="path"/> a new run directory of <paramref name="kind"/> that lists no checkpoints,
    /// replacing any state file there (what an earlier owner listed is then never deleted by this run).
    /// </summary>
    public static RunDirectory Create(string path, string kind)
    {
        AtomicFile.CreateDirectory(path);
        var run = new RunDirectory(path, kind, []);
        run.WriteState();
        return run;
    }

    private static RunDirectory? TryRead(string path)
    {
        string file = System.IO.Path.Combine(path, StateFile);
        if (!File.Exists(file)) return null;
        try
        {
            var state = JsonNode.Parse(File.ReadAllText(file))?.AsObject() ?? throw new InvalidDataException("not a JSON object");
            if ((string?)state["format"] != FormatName) throw new InvalidDataException($"\"format\" is not \"{FormatName}\"");
            string kind = (string?)state["kind"] ?? throw new InvalidDataException("no \"kind\"");
            var names = state["checkpoints"]?.AsArray().Select(n => (string?)n ?? "").ToList() ?? throw new InvalidDataException("no \"checkpoints\"");
            if (names.FirstOrDefault(n => !IsCheckpointName(n)) is { } bad) throw new InvalidDataException($"\"{bad}\" is not a checkpoint name");
            return new RunDirectory(path, kind, names);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{file}: {e.Message}", e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{file}: {e.Message}", e);
        }
    }

    /// <summary>step-NNNNNN only: a listed name can never reach outside checkpoints/.</summary>
    private static bool IsCheckpointName(string name) =>
        name.StartsWith(CheckpointPrefix, StringComparison.Ordinal) && name.Length > CheckpointPrefix.Length && name[CheckpointPrefix.Length..].All(char.IsAsciiDigit);

    private void WriteState()
    {
        var state = new JsonObject
        {
            ["format"] = FormatName,
            ["kind"] = Kind,
            ["checkpoints"] = new JsonArray(checkpoints.Select(n => (JsonNode?)n).ToArray()),
        };
        AtomicFile.WriteAllText(System.IO.Path.Combine(Path, StateFile), state.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
