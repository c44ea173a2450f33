using BiGS.Native.Nn;
using BiGS.Native.Tensors;

namespace BiGS.Native.Modeling;

/// <summary>
/// What every BiGS model and head shares: its config, the generator its initialisation and dropout draw from,
/// and a forward pass from a <see cref="BiGSInput"/> to named <see cref="BiGSOutput"/>s.
/// </summary>
public abstract class BiGSPreTrainedModel : Module
{
    /// <summary>Validates the config and keeps the generator.</summary>
    protected BiGSPreTrainedModel(BiGSConfig config, Rng rng)
    {
        config.Validate();
        Config = config;
        Rng = rng;
    }

    /// <summary>The hyper-parameters the model was built from, saved as its config.json.</summary>
    public BiGSConfig Config { get; }

    /// <summary>The generator used for initialisation and then for dropout masks (saved with training state).</summary>
    public Rng Rng { get; }

    /// <summary>The device the parameters are on.</summary>
    public Device Device => Parameters().First().Value.Device;

    /// <summary>Runs the model on a batch.</summary>
    public abstract BiGSOutput Forward(BiGSInput input);

    /// <summary>What the last <c>FromPretrained</c> found: new head weights and ignored tensors.</summary>
    public LoadReport? LoadReport { get; internal set; }

    /// <summary>Writes config.json and model.safetensors into a directory, each file atomically.</summary>
    public void SavePretrained(string directory) => PretrainedLoader.Save(this, directory);

    /// <summary>Loads a model of type T from a directory (config.json + model.safetensors or flax_model.msgpack).</summary>
    protected static T Load<T>(string directory, Func<BiGSConfig, T> create,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default) where T : BiGSPreTrainedModel =>
        PretrainedLoader.Load(directory, create, progress, cancellationToken);
}
