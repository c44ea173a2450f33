using System.Buffers;
using System.Text;

namespace BiGS.Native.Tasks;

/// <summary>One data row of a delimited file: its fields and the (1-based) line of the file it starts on.</summary>
/// <param name="Line">Line number of the row's first character (a quoted CSV field may span several lines).</param>
/// <param name="Fields">The row's fields, unquoted.</param>
public sealed record DelimitedRow(int Line, string[] Fields);

/// <summary>How a delimited text file separates and quotes its fields.</summary>
public enum DelimitedFormat
{
    /// <summary>
    /// Tab-separated, no quoting (the GLUE files, read by the authors with <c>quoting=QUOTE_NONE</c>): a <c>"</c>
    /// is an ordinary character and a field ends at the next TAB or line end.
    /// </summary>
    Tsv,

    /// <summary>
    /// Comma-separated values as RFC 4180 writes them: a field may be enclosed in double quotes, inside which
    /// commas and line breaks are literal and <c>""</c> stands for one <c>"</c>.
    /// </summary>
    Csv,
}

/// <summary>
/// A TSV or CSV file read whole: an optional header row and the data rows, each with its line number so errors
/// can point at the line. Blank (or whitespace-only) lines are skipped. The file must be valid UTF-8 (a byte-order mark is dropped);
/// both <c>\n</c> and <c>\r\n</c> line ends are accepted.
/// </summary>
public sealed class DelimitedTable
{
    private DelimitedTable(string path, string[]? header, IReadOnlyList<DelimitedRow> rows)
    {
        Path = path;
        Header = header;
        Rows = rows;
    }

    /// <summary>The file the table was read from (named in errors).</summary>
    public string Path { get; }

    /// <summary>Column names from the first row, or null for a file without a header.</summary>
    public string[]? Header { get; }

    /// <summary>The data rows (the header excluded).</summary>
    public IReadOnlyList<DelimitedRow> Rows { get; }

    /// <summary>The format a file name implies: <c>.csv</c> is CSV, anything else TSV.</summary>
    public static DelimitedFormat FormatOf(string path) =>
        path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? DelimitedFormat.Csv : DelimitedFormat.Tsv;

    /// <summary>
    /// Reads a file. Throws <see cref="FileNotFoundException"/> when it is missing and <see cref="InvalidDataException"/>
    /// (naming the file and line) when it is empty, not UTF-8, or has an unterminated quoted CSV field.
    /// </summary>
    public static DelimitedTable Read(string path, DelimitedFormat format, bool hasHeader)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"data file not found: {path}", path);
        var text = DecodeUtf8(File.ReadAllBytes(path), path);
        var rows = (format == DelimitedFormat.Csv ? SplitCsv(text, path) : SplitTsv(text)).ToList();
        if (rows.Count == 0)
            throw new InvalidDataException($"{path}: the file is empty{(hasHeader ? " (it needs a header line)" : "")}");
        if (!hasHeader) return new DelimitedTable(path, null, rows);
        var header = rows[0].Fields.Select(name => name.Trim()).ToArray();
        return new DelimitedTable(path, header, rows.GetRange(1, rows.Count - 1));
    }

    /// <summary>Index of the header column named <paramref name="name"/>; the error lists the columns there are.</summary>
    public int ColumnIndex(string name)
    {
        if (Header is null) throw new InvalidOperationException($"{Path}: the file has no header, so column '{name}' cannot be looked up by name");
        int index = Array.IndexOf(Header, name);
        if (index < 0)
            throw new InvalidDataException($"{Path} line 1: no column named '{name}' in the header (columns: {string.Join(", ", Header.Select(h => $"'{h}'"))})");
        return index;
    }

    /// <summary>Strict UTF-8 decoding; an invalid byte sequence is reported with its line and byte offset.</summary>
    private static string DecodeUtf8(byte[] bytes, string path)
    {
        ReadOnlySpan<byte> content = bytes;
        if (content.StartsWith("\uFEFF"u8)) content = content[3..];
        var chars = new char[content.Length];
        var status = System.Text.Unicode.Utf8.ToUtf16(content, chars, out int bytesRead, out int charsWritten, replaceInvalidSequences: false);
        if (status != OperationStatus.Done)
        {
            int line = content[..bytesRead].Count((byte)'\n') + 1;
            throw new InvalidDataException($"{path} line {line}: not valid UTF-8 (byte offset {bytesRead + (bytes.Length - content.Length)})");
        }
        return new string(chars, 0, charsWritten);
    }

    /// <summary>TSV: every line is a row, fields split at each TAB, no quoting.</summary>
    private static IEnumerable<DelimitedRow> SplitTsv(string text)
    {
        int lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.EndsWith('\r') ? rawLine[..^1] : rawLine;
            if (string.IsNullOrWhiteSpace(line)) continue;
            yield return new DelimitedRow(lineNumber, line.Split('\t'));
        }
    }

    /// <summary>CSV (RFC 4180): a small state machine over the characters, tracking the line each record starts on.</summary>
    private static IEnumerable<DelimitedRow> SplitCsv(string text, string path)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, recordLine = 1, quoteLine = 0;
        bool inQuotes = false, recordHasContent = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (inQuotes)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') inQuotes = false;
                else
                {
                    if (c == '\n') line++;
                    field.Append(c);
                }
                continue;
            }
            switch (c)
            {
                case '"' when field.Length == 0:
                    inQuotes = true;
                    quoteLine = line;
                    recordHasContent = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    recordHasContent = true;
                    break;
                case '\r' when i + 1 < text.Length && text[i + 1] == '\n':
                    break;
                case '\n':
                    if (recordHasContent) yield return EndRecord(fields, field, recordLine);
                    else field.Clear();
                    recordHasContent = false;
                    recordLine = ++line;
                    break;
                default:
                    field.Append(c);
                    recordHasContent |= !char.IsWhiteSpace(c);
                    break;
            }
        }
        if (inQuotes) throw new InvalidDataException($"{path} line {quoteLine}: a quoted field is never closed");
        if (recordHasContent) yield return EndRecord(fields, field, recordLine);
    }

    private static DelimitedRow EndRecord(List<string> fields, StringBuilder field, int line)
    {
        fields.Add(field.ToString());
        field.Clear();
        var row = new DelimitedRow(line, [.. fields]);
        fields.Clear();
        return row;
    }
}
