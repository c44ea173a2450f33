using BiGS.Native.Kernels.Cpu;

namespace BiGS.Native.Tensors;

/// <summary>
/// The precision matrix products use in the current execution flow: <see cref="Precision.Fp32"/> unless a caller
/// (the CLI's <c>--precision</c>, a benchmark, a test) opened a <see cref="Use"/> scope. The setting flows into
/// tasks and threads started inside the scope and not into others, so concurrent runs with different precisions do
/// not interfere.
/// </summary>
public static class MatMulPrecision
{
    private static readonly AsyncLocal<Precision> Setting = new();

    /// <summary>The names <see cref="Parse"/> accepts, for messages and help.</summary>
    public const string Names = "fp32, tf32 or bf16";

    /// <summary>The precision of matrix products started now.</summary>
    public static Precision Current => Setting.Value;

    /// <summary>Makes matrix products use <paramref name="precision"/> until the returned scope is disposed.</summary>
    public static IDisposable Use(Precision precision)
    {
        var previous = Setting.Value;
        Setting.Value = precision;
        return new Scope(previous);
    }

    /// <summary>"fp32", "tf32" or "bf16" (any case) as a <see cref="Precision"/>.</summary>
    /// <exception cref="ArgumentException">Another name; the message names <paramref name="what"/> (e.g. "--precision").</exception>
    public static Precision Parse(string name, string what) => name.ToLowerInvariant() switch
    {
        "fp32" => Precision.Fp32,
        "tf32" => Precision.Tf32,
        "bf16" => Precision.Bf16,
        _ => throw new ArgumentException($"{what} '{name}' is not a precision: use {Names}"),
    };

    /// <summary>The lower-case name of <paramref name="precision"/>, as <see cref="Parse"/> reads it.</summary>
    public static string Name(Precision precision) => precision.ToString().ToLowerInvariant();

    private sealed class Scope(Precision previous) : IDisposable
    {
        public void Dispose() => Setting.Value = previous;
    }
}
