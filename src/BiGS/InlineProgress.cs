namespace BiGS.Native;

/// <summary>
/// An <see cref="IProgress{T}"/> that runs its action on the reporting thread, so reports arrive in order and
/// all before the work returns. <see cref="Progress{T}"/> instead posts each report to the thread pool (in a
/// console program), where they can run out of order or after the work has finished: a load's last report could
/// print before an earlier one.
/// </summary>
/// <typeparam name="T">What each report carries (for <c>FromPretrained</c>: the parameter values in place so far).</typeparam>
/// <param name="report">Called once per report, synchronously.</param>
public sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => report(value);
}
