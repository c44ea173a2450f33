namespace BiGS.Native.Tests.Checkpoints;

/// <summary>Paths of the bigs-tiny fixture files and the tables of its README, parsed independently of the code under test.</summary>
internal static class BigsTinyFixture
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "fixtures", "bigs-tiny");

    public static string File(string name) => Path.Combine(Directory, name);

    /// <summary>Rows of the first markdown table after <paramref name="heading"/>, cells trimmed and backticks removed.</summary>
    public static List<string[]> TableRows(string heading)
    {
        string[] lines = System.IO.File.ReadAllLines(File("README.md"));
        int start = Array.FindIndex(lines, line => line.Trim() == heading);
        if (start < 0)
            throw new InvalidOperationException($"README.md has no heading '{heading}'");
        var rows = new List<string[]>();
        foreach (string line in lines.Skip(start + 1).SkipWhile(l => !l.StartsWith('|')).TakeWhile(l => l.StartsWith('|')))
        {
            string[] cells = line.Trim('|').Split('|').Select(c => c.Trim().Trim('`')).ToArray();
            if (!cells[0].StartsWith("---") && cells[0] != "name" && !cells[0].StartsWith("torch name"))
                rows.Add(cells);
        }
        return rows;
    }

    /// <summary>Parses "[512, 32]" (optionally followed by a remark such as "(transposed)").</summary>
    public static int[] Shape(string cell)
    {
        string inner = cell[(cell.IndexOf('[') + 1)..cell.IndexOf(']')];
        return inner.Length == 0 ? [] : inner.Split(',').Select(s => int.Parse(s.Trim())).ToArray();
    }
}
