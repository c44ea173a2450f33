using System.Runtime.InteropServices;

namespace BiGS.Native;

/// <summary>
/// Flushes a directory's entries (the names created, renamed or deleted in it) to disk, so that a rename survives
/// a power loss as well as a crash: POSIX fsync on the directory. Windows has no such call (NTFS journals its
/// renames), so there it does nothing.
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0;
    private const int DirectoryOnlyLinux = 0x10000;
    private const int DirectoryOnlyMac = 0x100000;

    /// <summary>fsync(2) of <paramref name="directory"/>; an error to open or flush it is an <see cref="IOException"/>.</summary>
    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        int flags = ReadOnly | (OperatingSystem.IsLinux() ? DirectoryOnlyLinux : DirectoryOnlyMac);
        int fd = Open(directory, flags);
        if (fd < 0) throw new IOException($"cannot open directory {directory} to flush it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"cannot flush directory {directory} to disk (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
