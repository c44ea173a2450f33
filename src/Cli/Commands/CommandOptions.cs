using System.CommandLine;
using System.Globalization;

namespace BiGS.Native.Cli.Commands;

/// <summary>
/// A command's options, each declared once as a get-only property of a subclass (description, default and
/// range rule together); <see cref="AddTo"/> attaches them all in the order they are declared.
/// </summary>
internal abstract class CommandOptions
{
    /// <summary>Adds every option property of this object to <paramref name="command"/>, in declaration order.</summary>
    public void AddTo(Command command)
    {
        foreach (var property in GetType().GetProperties().OrderBy(p => p.MetadataToken))
            if (property.GetValue(this) is Option option)
                command.Options.Add(option);
    }
}

/// <summary>
/// Range rules attached to options at their declaration: a value outside the range is a parse error
/// ("--save-every must be at least 1, got 0"), reported before any work starts.
/// </summary>
internal static class OptionRules
{
    /// <summary>Accepts only integers of at least <paramref name="minimum"/>.</summary>
    public static Option<int> AtLeast(this Option<int> option, int minimum) =>
        option.Require(v => v >= minimum, $"must be at least {minimum}");

    /// <summary>Accepts only integers of at least <paramref name="minimum"/>, or the option left out.</summary>
    public static Option<int?> AtLeast(this Option<int?> option, int minimum) =>
        option.Require(v => v is null || v >= minimum, $"must be at least {minimum}");

    /// <summary>Accepts only finite numbers above zero.</summary>
    public static Option<float> Positive(this Option<float> option) =>
        option.Require(v => float.IsFinite(v) && v > 0, "must be a positive number");

    /// <summary>Accepts only finite numbers above zero, or the option left out.</summary>
    public static Option<float?> Positive(this Option<float?> option) =>
        option.Require(v => v is null || (float.IsFinite(v.Value) && v > 0), "must be a positive number");

    /// <summary>Accepts only finite numbers of zero or more.</summary>
    public static Option<float> NonNegative(this Option<float> option) =>
        option.Require(v => float.IsFinite(v) && v >= 0, "cannot be negative");

    /// <summary>Accepts only numbers in [<paramref name="low"/>, <paramref name="high"/>) (or ] with <paramref name="includeHigh"/>).</summary>
    public static Option<float> InRange(this Option<float> option, float low, float high, bool includeHigh = false) =>
        option.Require(v => v >= low && (includeHigh ? v <= high : v < high), RangeText(low, high, includeHigh));

    /// <summary>Like the other <see cref="InRange(Option{float}, float, float, bool)"/>, or the option left out.</summary>
    public static Option<float?> InRange(this Option<float?> option, float low, float high, bool includeHigh = false) =>
        option.Require(v => v is null || (v >= low && (includeHigh ? v <= high : v < high)), RangeText(low, high, includeHigh));

    private static string RangeText(float low, float high, bool includeHigh) =>
        string.Create(CultureInfo.InvariantCulture, $"must be in [{low}, {high}{(includeHigh ? "]" : ")")}");

    private static Option<T> Require<T>(this Option<T> option, Func<T, bool> valid, string rule)
    {
        option.Validators.Add(result =>
        {
            if (!TryGetValue(result, out T value)) return; // not of type T: the parser reports that itself
            if (!valid(value))
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} {rule}, got {value}"));
        });
        return option;
    }

    private static bool TryGetValue<T>(System.CommandLine.Parsing.OptionResult result, out T value)
    {
        try
        {
            value = result.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }
}
