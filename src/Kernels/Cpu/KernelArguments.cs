namespace BiGS.Native.Kernels.Cpu;

/// <summary>Argument checks shared by the CPU kernels; every message names the argument and the sizes involved.</summary>
internal static class KernelArguments
{
    /// <summary>Throws unless <paramref name="actual"/> == <paramref name="expected"/>.</summary>
    public static void RequireLength(string name, int actual, long expected, string meaning)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} has length {actual} but {meaning} needs {expected}", name);
    }

    /// <summary>Throws unless rows, cols &gt;= 0 and the span holds exactly rows*cols elements.</summary>
    public static void RequireMatrix(string name, int actual, int rows, int cols)
    {
        RequireNonNegative(nameof(rows), rows);
        RequireNonNegative(nameof(cols), cols);
        RequireLength(name, actual, (long)rows * cols, $"a {rows}x{cols} matrix");
    }

    /// <summary>Throws unless every size is &gt;= 0 and the span holds exactly outer*axis*inner elements.</summary>
    public static void RequireThreeDims(string name, int actual, int outer, int axis, int inner)
    {
        RequireNonNegative(nameof(outer), outer);
        RequireNonNegative(nameof(axis), axis);
        RequireNonNegative(nameof(inner), inner);
        RequireLength(name, actual, (long)outer * axis * inner, $"shape ({outer}, {axis}, {inner})");
    }

    /// <summary>Throws ArgumentOutOfRangeException for a negative size.</summary>
    public static void RequireNonNegative(string name, int value)
    {
        if (value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be >= 0");
    }
}
