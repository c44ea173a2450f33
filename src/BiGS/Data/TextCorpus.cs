using System.IO.Compression;
using System.Text;

namespace BiGS.Native.Data;

/// <summary>One non-blank line of a corpus file, with where it came from.</summary>
/// <param name="Source">File name (for messages).</param>
/// <param name="LineNumber">1-based line number.</param>
/// <param name="Text">The line without its line ending.</param>
public readonly record struct CorpusLine(string Source, long LineNumber, string Text);

/// <summary>
/// Reads plain-text corpora: UTF-8 files (.txt, or gzip-compressed .gz) with one document a line or documents
/// separated by blank lines. Text is what matters for packing, so the reader yields every non-blank line.
/// Invalid UTF-8 is an error naming the file, line and byte offset; a line may be arbitrarily long (it is read as
/// bytes up to its newline, in one linear pass).
/// </summary>
public static class TextCorpus
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // StrictUtf8.Preamble is empty (it emits no byte-order mark), so the mark to drop is spelled out.
    private static ReadOnlySpan<byte> Utf8ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>The non-blank lines of a file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Invalid UTF-8 or a corrupt gzip stream.</exception>
    public static IEnumerable<CorpusLine> ReadLines(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"corpus file not found: {path}", path);
        using var file = File.OpenRead(path);
        using var stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
        foreach (var line in ReadLines(stream, path)) yield return line;
    }

    /// <summary>The non-blank lines of a UTF-8 stream (a leading byte-order mark is skipped).</summary>
    public static IEnumerable<CorpusLine> ReadLines(Stream stream, string sourceName)
    {
        var buffered = new BufferedStream(stream, 1 << 16);
        var line = new MemoryStream();
        long lineNumber = 0, lineStart = 0, offset = 0;
        while (true)
        {
            int next = ReadByte(buffered, sourceName);
            if (next == '\n' || next < 0)
            {
                if (next < 0 && line.Length == 0 && offset == lineStart) yield break;
                lineNumber++;
                string text = Decode(line, sourceName, lineNumber, lineStart);
                if (!string.IsNullOrWhiteSpace(text)) yield return new CorpusLine(sourceName, lineNumber, text);
                if (next < 0) yield break;
                line.SetLength(0);
                lineStart = ++offset;
                continue;
            }
            line.WriteByte((byte)next);
            offset++;
        }
    }

    private static int ReadByte(Stream stream, string sourceName)
    {
        try
        {
            return stream.ReadByte();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{sourceName}: corrupt compressed data: {e.Message}", e);
        }
    }

    /// <summary>Strictly decodes one line's bytes, dropping a trailing '\r' and a byte-order mark on line 1.</summary>
    private static string Decode(MemoryStream line, string sourceName, long lineNumber, long lineStart)
    {
        var bytes = line.GetBuffer().AsSpan(0, (int)line.Length);
        if (bytes.Length > 0 && bytes[^1] == '\r') bytes = bytes[..^1];
        if (lineNumber == 1 && bytes.StartsWith(Utf8ByteOrderMark)) bytes = bytes[Utf8ByteOrderMark.Length..];
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            long at = lineStart + Math.Max(e.Index, 0);
            throw new InvalidDataException($"{sourceName}: line {lineNumber}: invalid UTF-8 near byte offset {at}", e);
        }
    }
}
