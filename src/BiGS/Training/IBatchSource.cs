using System.Text.Json.Nodes;
using BiGS.Native.Modeling;

namespace BiGS.Native.Training;

/// <summary>
/// An endless, deterministic stream of training batches (inputs with labels). Given the same seed and the same
/// restored state it yields the same batches, so a resumed run sees exactly what an uninterrupted one would.
/// </summary>
public interface IBatchSource
{
    /// <summary>The next training batch (tensors are created in the caller's tensor scope).</summary>
    BiGSInput Next();

    /// <summary>The position and generator state, to restore with <see cref="SetState"/>.</summary>
    JsonObject GetState();

    /// <summary>Restores a state from <see cref="GetState"/>.</summary>
    /// <exception cref="InvalidDataException">The state does not belong to this source.</exception>
    void SetState(JsonObject state);
}
