using ILGPU;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// Input errors found by kernels (a label or id out of range) without a read-back: the first one is recorded in a
/// small device word (code, position, value, bound), which the backend checks whenever the host next reads from the
/// device, and turns into an exception there.
/// </summary>
public static class DeviceErrors
{
    /// <summary>Ints in the error word.</summary>
    public const int Length = 4;

    /// <summary>No error.</summary>
    public const int None = 0;

    /// <summary>A cross-entropy label outside [0, classes) that is not the ignore index.</summary>
    public const int LabelOutOfRange = 1;

    /// <summary>An embedding id outside the table's rows.</summary>
    public const int IdOutOfRange = 2;

    /// <summary>An id of a gather at strictly increasing ids that is not above the id before it.</summary>
    public const int IdsNotIncreasing = 3;

    /// <summary>Records the error unless an earlier one is already recorded.</summary>
    public static void Report(ArrayView<int> errors, int code, int position, int value, int bound)
    {
        if (Atomic.CompareExchange(ref errors[0], None, code) != None) return;
        errors[1] = position;
        errors[2] = value;
        errors[3] = bound;
    }

    /// <summary>The exception for a recorded error word.</summary>
    public static ArgumentOutOfRangeException ToException(ReadOnlySpan<int> word) => word[0] switch
    {
        LabelOutOfRange => new ArgumentOutOfRangeException("labels", $"CrossEntropy: label {word[2]} at row {word[1]} is outside [0, {word[3]}) and is not the ignore index"),
        IdsNotIncreasing => new ArgumentOutOfRangeException("ids", $"SelectIncreasingRows: id {word[2]} at position {word[1]} is not above the id before it ({word[3]})"),
        _ => new ArgumentOutOfRangeException("ids", $"Embedding: id {word[2]} at position {word[1]} is outside the table's {word[3]} rows"),
    };
}
