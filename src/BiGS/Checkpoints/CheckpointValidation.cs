namespace BiGS.Native.Checkpoints;

/// <summary>A tensor whose shape differs from the one the model expects.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="Expected">Shape the model needs.</param>
/// <param name="Actual">Shape found in the checkpoint.</param>
public sealed record ShapeMismatch(string Name, int[] Expected, int[] Actual)
{
    /// <summary>"name: expected [a, b], found [c, d]".</summary>
    public override string ToString() =>
        $"{Name}: expected [{string.Join(", ", Expected)}], found [{string.Join(", ", Actual)}]";
}

/// <summary>How a checkpoint's tensor set differs from what a model expects (names sorted).</summary>
/// <param name="Missing">Expected but absent.</param>
/// <param name="Unexpected">Present but not expected.</param>
/// <param name="ShapeMismatches">Present with the wrong shape.</param>
public sealed record CheckpointComparison(
    IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected, IReadOnlyList<ShapeMismatch> ShapeMismatches)
{
    /// <summary>True when nothing is missing, unexpected or mis-shaped.</summary>
    public bool IsMatch => Missing.Count == 0 && Unexpected.Count == 0 && ShapeMismatches.Count == 0;

    /// <summary>A multi-line report listing every problem, grouped by kind.</summary>
    public string Describe()
    {
        var lines = new List<string>();
        AddSection(lines, "missing", Missing);
        AddSection(lines, "unexpected", Unexpected);
        AddSection(lines, "shape mismatches", ShapeMismatches.Select(m => m.ToString()).ToList());
        return string.Join("\n", lines);
    }

    private static void AddSection(List<string> lines, string title, IReadOnlyList<string> items)
    {
        if (items.Count == 0) return;
        lines.Add($"{items.Count} {title}:");
        lines.AddRange(items.Select(item => "  " + item));
    }
}

/// <summary>Checks a loaded tensor set against the names and shapes a model expects, reporting all problems at once.</summary>
public static class CheckpointValidation
{
    /// <summary>Compares expected and found name-to-shape maps.</summary>
    public static CheckpointComparison Compare(IReadOnlyDictionary<string, int[]> expected, IReadOnlyDictionary<string, int[]> found)
    {
        var missing = expected.Keys.Where(name => !found.ContainsKey(name)).Order(StringComparer.Ordinal).ToList();
        var unexpected = found.Keys.Where(name => !expected.ContainsKey(name)).Order(StringComparer.Ordinal).ToList();
        var mismatches = expected
            .Where(p => found.TryGetValue(p.Key, out int[]? actual) && !p.Value.AsSpan().SequenceEqual(actual))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new ShapeMismatch(p.Key, p.Value, found[p.Key]))
            .ToList();
        return new CheckpointComparison(missing, unexpected, mismatches);
    }

    /// <summary>
    /// Throws one error listing every missing, unexpected and mis-shaped tensor.
    /// </summary>
    /// <param name="expected">Name to shape, as the model needs them.</param>
    /// <param name="loaded">The loaded tensors keyed by name.</param>
    /// <param name="source">The checkpoint file, named in the error.</param>
    /// <param name="allowUnexpected">When true, extra tensors (e.g. another head's) are not an error.</param>
    /// <exception cref="CheckpointFormatException">Any problem was found.</exception>
    public static void Check(
        IReadOnlyDictionary<string, int[]> expected, IReadOnlyDictionary<string, CheckpointTensor> loaded,
        string? source = null, bool allowUnexpected = false)
    {
        CheckpointComparison comparison = Compare(expected, loaded.ToDictionary(p => p.Key, p => p.Value.Shape));
        if (allowUnexpected)
            comparison = comparison with { Unexpected = [] };
        if (!comparison.IsMatch)
            throw new CheckpointFormatException("checkpoint does not match the model:\n" + comparison.Describe(), source);
    }
}
