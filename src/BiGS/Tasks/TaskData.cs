using System.Globalization;

namespace BiGS.Native.Tasks;

/// <summary>One example of a task: its text (pair) and label (class id, or score for regression).</summary>
/// <param name="Text">The first (or only) text.</param>
/// <param name="TextPair">The second text of a pair task, else null.</param>
/// <param name="Label">Class id (0 … num_labels-1) or regression score.</param>
/// <param name="Line">Line of the file the example comes from.</param>
public sealed record TaskExample(string Text, string? TextPair, float Label, int Line);

/// <summary>Reads a task's examples from its TSV/CSV files, checking every row and label.</summary>
public static class TaskData
{
    /// <summary>
    /// Reads every example of a file. Errors (<see cref="InvalidDataException"/>) name the file and line: a row with
    /// too few columns, a label that is not one of the task's, a file without data rows.
    /// </summary>
    public static IReadOnlyList<TaskExample> Read(GlueTask task, string path)
    {
        var table = ReadTable(task, path);
        var columns = ResolveColumns(task, table);
        var examples = new List<TaskExample>(table.Rows.Count);
        foreach (var row in table.Rows)
        {
            var (text, pair, labelText) = Fields(task, columns, table, row);
            float label = task.ParseLabel(labelText)
                ?? throw new InvalidDataException($"{path} line {row.Line}: label '{labelText}' is outside the task's range: task '{task.Name}' expects {task.DescribeLabels()}");
            examples.Add(new TaskExample(text, pair, label, row.Line));
        }
        return examples;
    }

    /// <summary>
    /// The distinct label texts of a file, sorted (numerically when every label is an integer), to define the classes
    /// of a custom task from its training file.
    /// </summary>
    public static IReadOnlyList<string> DistinctLabels(GlueTask task, string path)
    {
        var table = ReadTable(task, path);
        var columns = ResolveColumns(task, table);
        var labels = table.Rows.Select(row => Fields(task, columns, table, row).Label).Distinct().ToList();
        bool allIntegers = labels.All(l => long.TryParse(l, NumberStyles.Integer, CultureInfo.InvariantCulture, out _));
        return allIntegers
            ? [.. labels.OrderBy(l => long.Parse(l, CultureInfo.InvariantCulture))]
            : [.. labels.Order(StringComparer.Ordinal)];
    }

    private static DelimitedTable ReadTable(GlueTask task, string path)
    {
        var table = DelimitedTable.Read(path, DelimitedTable.FormatOf(path), task.HasHeader);
        if (table.Rows.Count == 0) throw new InvalidDataException($"{path}: no examples after the header line");
        return table;
    }

    /// <summary>Positions of the text, pair and label columns, and how many columns a row needs to hold them all.</summary>
    private sealed record ColumnPositions(int Text, int? Pair, int Label)
    {
        public int Required => Math.Max(Math.Max(Text, Pair ?? 0), Label) + 1;
    }

    private static ColumnPositions ResolveColumns(GlueTask task, DelimitedTable table) =>
        new(task.Text.Resolve(table), task.TextPair?.Resolve(table), task.Label.Resolve(table));

    private static (string Text, string? Pair, string Label) Fields(GlueTask task, ColumnPositions columns, DelimitedTable table, DelimitedRow row)
    {
        if (row.Fields.Length < columns.Required)
        {
            var header = table.Header is { } names ? $" (the header has {names.Length})" : "";
            throw new InvalidDataException($"{table.Path} line {row.Line}: too few columns: the row has {row.Fields.Length}, "
                + $"task '{task.Name}' reads up to column {columns.Required}{header}");
        }
        string? pair = columns.Pair is { } p ? row.Fields[p] : null;
        return (row.Fields[columns.Text], pair, row.Fields[columns.Label].Trim());
    }
}
