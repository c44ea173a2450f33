namespace BiGS.Native.Tests;

/// <summary>A fresh directory under the system temp folder; Dispose deletes it with everything in it.</summary>
public sealed class TemporaryDirectory : IDisposable
{
    /// <summary>The directory's full path.</summary>
    public string Path { get; } = Directory.CreateTempSubdirectory("bigs-test-").FullName;

    /// <summary>A new, empty directory inside this one.</summary>
    public string Subdirectory() => Directory.CreateDirectory(System.IO.Path.Combine(Path, Guid.NewGuid().ToString("N"))).FullName;

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(Path, recursive: true);
}
