namespace BiGS.Native.Autograd;

/// <summary>
/// Whether operations record their backward. Inside <c>using (GradMode.NoGrad())</c> nothing is recorded, so
/// inference keeps no intermediates alive.
/// </summary>
public static class GradMode
{
    [ThreadStatic] private static int disabledDepth;

    /// <summary>True when operations record a backward on this thread.</summary>
    public static bool IsEnabled => disabledDepth == 0;

    /// <summary>Opens a scope in which nothing is recorded.</summary>
    public static IDisposable NoGrad() => new NoGradScope();

    private sealed class NoGradScope : IDisposable
    {
        private bool disposed;

        public NoGradScope() => disabledDepth++;

        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            disabledDepth--;
        }
    }
}
