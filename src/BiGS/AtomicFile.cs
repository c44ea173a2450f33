namespace BiGS.Native;

/// <summary>
/// Writes files so a crash or a full disk never leaves a half-written target: write a temp file in the same
/// directory, flush it to disk, rename it over the target (atomic on one file system), then flush the directory so
/// the rename itself is on disk. A process killed mid-write leaves only its temp file,
/// <c>.{name}.{32 hex digits}.tmp</c>, which <see cref="IsTemporary"/> recognises.
/// </summary>
public static partial class AtomicFile
{
    /// <summary>True for the name of a temp file this class writes (and a killed process may have left behind).</summary>
    public static bool IsTemporary(string fileName) => TemporaryName().IsMatch(fileName);

    [System.Text.RegularExpressions.GeneratedRegex(@"^\..+\.[0-9a-f]{32}\.tmp$")]
    private static partial System.Text.RegularExpressions.Regex TemporaryName();

    /// <summary>Writes through <paramref name="write"/> into a temp file, then replaces <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        CreateDirectory(directory);
        string temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            DirectorySync.Flush(directory);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes UTF-8 text atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true);
            writer.Write(text);
        });

    /// <summary>
    /// Creates <paramref name="directory"/> and its parents; where one of them is a file, says so (the runtime's
    /// own message, "The file ... already exists", names the file but not the problem).
    /// </summary>
    public static void CreateDirectory(string directory)
    {
        for (string? ancestor = Path.GetFullPath(directory); ancestor is not null; ancestor = Path.GetDirectoryName(ancestor))
            if (File.Exists(ancestor))
                throw new IOException($"cannot create directory {directory}: {ancestor} is a file, not a directory");
        Directory.CreateDirectory(directory);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
