namespace BiGS.Native.Tensors;

/// <summary>
/// Collects every storage allocated on this thread while the scope is open and disposes them when it closes,
/// except those kept with <see cref="Tensor.Keep"/>. Wrap a training step or an inference call in one so the
/// step's intermediates go back to the pool instead of waiting for the garbage collector:
/// <code>using (new TensorScope()) { var loss = model.Forward(batch); ... }</code>
/// Scopes nest; a kept storage moves to the enclosing scope (or to no scope: then only the GC frees it).
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? current;

    private readonly TensorScope? outer;
    private readonly HashSet<TensorStorage> owned = new(ReferenceEqualityComparer.Instance);
    private bool disposed;

    /// <summary>Opens a scope on the current thread.</summary>
    public TensorScope()
    {
        outer = current;
        current = this;
    }

    /// <summary>Number of storages this scope will release.</summary>
    public int Count => owned.Count;

    /// <summary>True if this scope (not an enclosing one) will release <paramref name="storage"/>: it was allocated while this scope was the innermost one and not kept.</summary>
    public bool Owns(TensorStorage storage) => owned.Contains(storage);

    internal static void Register(TensorStorage storage) => current?.owned.Add(storage);

    /// <summary>Moves a storage out of the innermost scope that owns it into that scope's parent.</summary>
    internal static void Keep(TensorStorage storage)
    {
        for (var scope = current; scope != null; scope = scope.outer)
        {
            if (!scope.owned.Remove(storage)) continue;
            scope.outer?.owned.Add(storage);
            return;
        }
    }

    /// <summary>Removes a storage from every open scope: only an explicit Dispose (or the GC) frees it.</summary>
    internal static void KeepAlive(TensorStorage storage)
    {
        for (var scope = current; scope != null; scope = scope.outer)
            scope.owned.Remove(storage);
    }

    /// <summary>Disposes every storage still owned and closes the scope.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (!ReferenceEquals(current, this))
            throw new InvalidOperationException("TensorScope disposed out of order: close inner scopes first");
        current = outer;
        foreach (var storage in owned) storage.Dispose();
        owned.Clear();
    }
}
