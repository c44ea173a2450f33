namespace BiGS.Native.Bench;

/// <summary>The side-by-side commands' options, given as "--name value".</summary>
internal static class CommandLineOptions
{
    /// <summary>The value after option <paramref name="name"/>, or null when the option or its value is missing.</summary>
    public static string? Value(string[] args, string name)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
