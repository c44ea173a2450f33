using System.Security.Cryptography;

namespace BiGS.Native.Tests;

/// <summary>Every file under a directory with a hash of its bytes, to show that a command left them as they were.</summary>
internal static class FileTree
{
    /// <summary>"relative/path: sha256" for every file under <paramref name="root"/>, and "relative/dir/" for every directory, sorted.</summary>
    public static string[] Snapshot(string root) =>
        [.. Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(path => Directory.Exists(path)
                ? Path.GetRelativePath(root, path) + "/"
                : $"{Path.GetRelativePath(root, path)}: {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)))}")
            .Order(StringComparer.Ordinal)];
}
