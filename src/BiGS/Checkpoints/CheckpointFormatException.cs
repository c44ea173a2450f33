namespace BiGS.Native.Checkpoints;

/// <summary>
/// A checkpoint file is malformed or does not match what was expected. The message names the
/// file (when reading one), the tensor and the byte offset or numbers involved.
/// </summary>
public sealed class CheckpointFormatException : Exception
{
    /// <summary>Creates the exception; the message is prefixed with the file path when one is given.</summary>
    /// <param name="detail">What is wrong, including offsets, names and sizes.</param>
    /// <param name="filePath">The file being read, or null for an in-memory stream.</param>
    /// <param name="byteOffset">Byte offset in the file where the problem was found, if known.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public CheckpointFormatException(string detail, string? filePath = null, long? byteOffset = null, Exception? inner = null)
        : base(filePath is null ? detail : $"{filePath}: {detail}", inner)
    {
        FilePath = filePath;
        ByteOffset = byteOffset;
    }

    /// <summary>The file being read, or null when reading a stream without a name.</summary>
    public string? FilePath { get; }

    /// <summary>Byte offset from the start of the file where the problem was found, when known.</summary>
    public long? ByteOffset { get; }
}
