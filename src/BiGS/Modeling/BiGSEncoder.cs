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

    /// <summary>The BiGS layers, first (nearest the embeddings) to last.</summary>
    public IReadOnlyList<BiGSLayer> Layers => layers;

    /// <summary>Runs every layer; returns the last output and, when asked, every layer's output.</summary>
    public (Variable Output, List<Variable>? Hidden) Forward(Variable x, bool collectHiddenStates)
    {
        var hidden = collectHiddenStates ? new List<Variable>() : null;
        foreach (var layer in layers)
        {
            x = GradMode.IsEnabled ? layer.Forward(x) : ForwardReleasingIntermediates(layer, x);
            hidden?.Add(x);
        }
        return (x, hidden);
    }

    /// <summary>
    /// Without gradients nothing reads a layer's intermediates after it returns: running it in its own scope hands
    /// them back to the pool at once, so inference holds one layer's temporaries at a time, not the whole stack's.
    /// </summary>
    private static Variable ForwardReleasingIntermediates(BiGSLayer layer, Variable x)
    {
        using var scope = new TensorScope();
        var output = layer.Forward(x);
        output.Value.Keep();
        return output;
    }
}

/// <summary>Sub-modules named by their index ("0", "1", ...).</summary>
public sealed class ModuleList : Module
{
    private int count;

    /// <summary>Appends a module under the next index.</summary>
    public T Add<T>(T module) where T : Module => AddModule((count++).ToString(System.Globalization.CultureInfo.InvariantCulture), module);
}
