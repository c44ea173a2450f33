using BiGS.Native.Autograd;
using BiGS.Native.Nn;
using BiGS.Native.Tensors;

namespace BiGS.Native.Modeling;

/// <summary>A stack of <see cref="BiGSLayer"/>s (no final LayerNorm).</summary>
public sealed class BiGSEncoder : Module
{
    private readonly List<BiGSLayer> layers = [];

    /// <summary>Creates num_hidden_layers layers named layer.0, layer.1, ...</summary>
    public BiGSEncoder(BiGSConfig config, Rng rng)
    {
        var list = AddModule("layer", new ModuleList());
        for (int i = 0; i < config.NumHiddenLayers; i++)
            layers.Add(list.Add(new BiGSLayer(config, rng)));
    }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<BiGSLayer> Layers => layers;

    /// <summary>Runs every layer; returns the last output and, when asked, every layer's output.</summary>
    public (Variable Output, List<Variable>? Hidden) Forward(Variable x, bool collectHiddenStates)
    {
        var hidden = collectHiddenStates ? new List<Variable>() : null;
        foreach (var layer in layers)
        {
            x = layer.Forward(x);
            hidden?.Add(x);
        }
        return (x, hidden);
    }
}

/// <summary>Sub-modules named by their index ("0", "1", ...).</summary>
public sealed class ModuleList : Module
{
    private int count;

    /// <summary>Appends a module under the next index.</summary>
    public T Add<T>(T module) where T : Module => AddModule((count++).ToString(System.Globalization.CultureInfo.InvariantCulture), module);
}
