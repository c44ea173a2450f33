using BiGS.Native.Autograd;
using BiGS.Native.Checkpoints;
using BiGS.Native.Tensors;

namespace BiGS.Native.Modeling;

/// <summary>What a checkpoint load found beyond a perfect match: head weights it had to initialise, tensors it ignored.</summary>
/// <param name="NewlyInitialized">Model parameters absent from the checkpoint (a new head), left randomly initialised.</param>
/// <param name="Ignored">Checkpoint tensors the model has no use for (another head's, the tied decoder alias).</param>
public sealed record LoadReport(IReadOnlyList<string> NewlyInitialized, IReadOnlyList<string> Ignored);

/// <summary>
/// Loads and saves BiGS models in Hugging Face layout: a directory with <c>config.json</c> and either
/// <c>model.safetensors</c> (PyTorch-port names) or <c>flax_model.msgpack</c> (the authors' released checkpoints).
/// Tensors stream one at a time into the parameters, so a large checkpoint is never held twice.
/// </summary>
public static class PretrainedLoader
{
    /// <summary>File name of the safetensors weights.</summary>
    public const string SafeTensorsFile = "model.safetensors";

    /// <summary>File name of the Flax weights.</summary>
    public const string FlaxFile = "flax_model.msgpack";

    private const string EncoderPrefix = "bigs.";

    /// <summary>Head parameters a checkpoint may lack (a fine-tuning head); everything else must be present.</summary>
    private static readonly string[] OptionalPrefixes = ["classifier.", "qa_outputs.", "cls.", "bigs.pooler.", "pooler."];

    /// <summary>
    /// Builds a model from the directory's config, fills it from its weights (the report lands in
    /// <see cref="BiGSPreTrainedModel.LoadReport"/>) and puts it in evaluation mode.
    /// </summary>
    /// <param name="directory">A directory with config.json and model.safetensors or flax_model.msgpack.</param>
    /// <param name="create">Builds the (randomly initialised) model the weights go into.</param>
    /// <param name="progress">Receives the number of parameter values loaded so far (see <see cref="LoadWeights"/>).</param>
    /// <param name="cancellationToken">Checked between tensors.</param>
    public static T Load<T>(string directory, Func<BiGSConfig, T> create,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default) where T : BiGSPreTrainedModel
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"model directory not found: {directory}");
        var model = create(BiGSConfig.Load(directory));
        model.LoadReport = LoadWeights(model, WeightsPath(directory), progress, cancellationToken);
        model.Eval();
        return model;
    }

    /// <summary>The weights file of a model directory (safetensors preferred).</summary>
    public static string WeightsPath(string directory)
    {
        string safetensors = Path.Combine(directory, SafeTensorsFile), flax = Path.Combine(directory, FlaxFile);
        if (File.Exists(safetensors)) return safetensors;
        if (File.Exists(flax)) return flax;
        throw new FileNotFoundException($"{directory} has neither {SafeTensorsFile} nor {FlaxFile}");
    }

    /// <summary>
    /// Reads a weights file (either format) as PyTorch-port named tensors, lazily; the token is checked before
    /// each tensor is read.
    /// </summary>
    public static IEnumerable<CheckpointTensor> ReadTorchNamed(string path, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (path.EndsWith(".msgpack", StringComparison.OrdinalIgnoreCase))
        {
            using var stream = File.OpenRead(path);
            foreach (var tensor in FlaxMsgpackReader.ReadTensors(stream, path))
            {
                yield return FlaxNameMap.ToTorch(tensor);
                cancellationToken.ThrowIfCancellationRequested();
            }
            yield break;
        }
        using var reader = SafeTensorsReader.Open(path);
        foreach (var tensor in reader.ReadTensors())
        {
            yield return tensor;
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// Copies every tensor of the file into the matching parameter (on error the model may be partly overwritten:
    /// discard it). Checks everything before failing: one error
    /// lists all missing encoder tensors, unknown tensors and shape mismatches.
    /// </summary>
    /// <param name="model">The model whose parameters receive the weights.</param>
    /// <param name="path">A model.safetensors or flax_model.msgpack file.</param>
    /// <param name="progress">
    /// Receives, after each tensor copied, the number of parameter values in place so far, and last the model's
    /// whole <see cref="Nn.Module.ParameterCount"/>: values the checkpoint lacks (a newly initialised head) count
    /// once every tensor is loaded. Reports are made on the loading thread.
    /// </param>
    /// <param name="cancellationToken">Checked before each tensor is read.</param>
    /// <exception cref="OperationCanceledException">The token was cancelled; the model is then partly loaded.</exception>
    public static LoadReport LoadWeights(BiGSPreTrainedModel model, string path,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var parameters = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        var loaded = new HashSet<string>();
        var ignored = new List<string>();
        var unknown = new List<string>();
        var mismatched = new List<ShapeMismatch>();
        long valuesLoaded = 0;
        foreach (var tensor in ReadTorchNamed(path, cancellationToken))
        {
            var name = MatchName(tensor.Name, parameters);
            if (name is null)
            {
                (IsKnownBiGSName(tensor.Name) ? ignored : unknown).Add(tensor.Name);
                continue;
            }
            var parameter = parameters[name];
            if (!parameter.Value.Shape.SequenceEqual(tensor.Shape))
            {
                mismatched.Add(new ShapeMismatch(name, parameter.Value.ShapeArray(), tensor.Shape));
                continue;
            }
            // Copy into the existing storage: only this one tensor is ever held twice.
            parameter.Value.CopyFrom(FloatValues(tensor, path));
            parameter.Grad = null;
            loaded.Add(name);
            valuesLoaded += tensor.ElementCount;
            progress?.Report(valuesLoaded);
        }
        var absent = parameters.Keys.Where(n => !loaded.Contains(n)).ToList();
        var missing = absent.Where(n => !OptionalPrefixes.Any(n.StartsWith)).ToList();
        if (missing.Count > 0 || unknown.Count > 0 || mismatched.Count > 0)
            throw new CheckpointFormatException(
                "checkpoint does not match the model:\n" + new CheckpointComparison(missing, unknown, mismatched).Describe(), path);
        if (absent.Count > 0)
            progress?.Report(valuesLoaded + absent.Sum(name => parameters[name].Value.Count));
        return new LoadReport(absent, ignored);
    }

    /// <summary>Writes config.json and model.safetensors (PyTorch-port names, float32), each atomically.</summary>
    public static void Save(BiGSPreTrainedModel model, string directory)
    {
        Directory.CreateDirectory(directory);
        var config = model.Config.Clone();
        config.Architectures = [model.GetType().Name];
        var tensors = model.NamedParameters().Select(p =>
            CheckpointTensor.FromFloats(p.Name, p.Parameter.Value.ShapeArray(), p.Parameter.Value.ToArray()));
        SafeTensorsWriter.Write(Path.Combine(directory, SafeTensorsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        config.Save(directory);
    }

    /// <summary>
    /// The parameter a checkpoint name refers to: the same name, or the name with/without the "bigs." encoder
    /// prefix (a base-model checkpoint loads into a head and vice versa). Null when the model has no such parameter.
    /// </summary>
    private static string? MatchName(string name, Dictionary<string, Parameter> parameters)
    {
        if (parameters.ContainsKey(name)) return name;
        if (name.StartsWith(EncoderPrefix, StringComparison.Ordinal) && parameters.ContainsKey(name[EncoderPrefix.Length..]))
            return name[EncoderPrefix.Length..];
        return parameters.ContainsKey(EncoderPrefix + name) ? EncoderPrefix + name : null;
    }

    /// <summary>Names any BiGS head may hold (so a multi-head checkpoint loads into one head without error).</summary>
    private static bool IsKnownBiGSName(string name) =>
        name.StartsWith(EncoderPrefix, StringComparison.Ordinal) || OptionalPrefixes.Any(name.StartsWith)
        || name.StartsWith("embeddings.", StringComparison.Ordinal) || name.StartsWith("encoder.", StringComparison.Ordinal);

    private static float[] FloatValues(CheckpointTensor tensor, string path) =>
        tensor.Floats ?? throw new CheckpointFormatException($"tensor {tensor.Name} holds {tensor.StoredType}, a parameter needs floating point values", path);
}
