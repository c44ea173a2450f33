namespace BiGS.Native.Tests.Tasks;

/// <summary>Temporary data files for the task tests, deleted with the instance.</summary>
internal sealed class TaskTestFiles : IDisposable
{
    public TaskTestFiles() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), $"bigs-tasks-{Guid.NewGuid():N}");

    /// <summary>Writes UTF-8 text (no BOM) to a file of the temporary directory and returns its path.</summary>
    public string Write(string name, string text) => WriteBytes(name, new System.Text.UTF8Encoding(false).GetBytes(text));

    public string WriteBytes(string name, byte[] bytes)
    {
        string path = Path.Combine(Root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
