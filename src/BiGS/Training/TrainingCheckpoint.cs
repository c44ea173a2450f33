using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using BiGS.Native.Checkpoints;
using BiGS.Native.Modeling;
using BiGS.Native.Tasks;

namespace BiGS.Native.Training;

/// <summary>
/// Resumable training checkpoints. Each is a directory <c>step-NNNNNN</c> holding the model (config.json +
/// model.safetensors), the optimizer state (optimizer.safetensors), the tokenizer file when the run has one, and
/// <c>trainer_state.json</c> (step, model RNG, data position). The directory appears whole or not at all
/// (<see cref="RunDirectory.SaveCheckpoint"/>); trainer_state.json is still written last, so a directory without
/// it (copied by hand, or left by an older version) is never loaded.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>The commit marker and training state file.</summary>
    public const string StateFile = "trainer_state.json";

    /// <summary>The optimizer state file.</summary>
    public const string OptimizerFile = "optimizer.safetensors";

    private const string Prefix = "step-";
    private const string FormatName = "bigs-trainer-state";

    /// <summary>The directory a checkpoint of <paramref name="step"/> gets under <paramref name="root"/> (a checkpoints/ folder).</summary>
    public static string DirectoryFor(string root, int step) => RunDirectory.CheckpointDirectory(root, step);

    /// <summary>
    /// Writes a checkpoint into <paramref name="run"/> (with a copy of <paramref name="tokenizerFile"/> when given);
    /// the run directory then deletes its older ones. Returns the checkpoint's directory.
    /// </summary>
    public static string Save(RunDirectory run, int step, BiGSPreTrainedModel model, AdamW optimizer, IBatchSource data, string? tokenizerFile = null) =>
        run.SaveCheckpoint(step, directory =>
        {
            model.SavePretrained(directory);
            optimizer.SaveState(Path.Combine(directory, OptimizerFile));
            if (tokenizerFile is not null) ModelTokenizer.SaveFile(tokenizerFile, directory);
            var state = new JsonObject
            {
                ["format"] = FormatName,
                ["step"] = step,
                ["model_rng"] = new JsonArray(model.Rng.GetState().Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
                ["data"] = data.GetState(),
            };
            AtomicFile.WriteAllText(Path.Combine(directory, StateFile), state.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        });

    /// <summary>True when the directory holds a committed checkpoint.</summary>
    public static bool IsComplete(string directory) => File.Exists(Path.Combine(directory, StateFile));

    /// <summary>
    /// The newest committed checkpoint reachable from <paramref name="path"/>: the path itself, or the highest
    /// step-NNNNNN under it or under its checkpoints/ folder.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No committed checkpoint there.</exception>
    public static string FindLatest(string path)
    {
        if (IsComplete(path)) return path;
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"checkpoint directory not found: {path}");
        return new[] { path, Path.Combine(path, RunDirectory.CheckpointFolder) }
            .Where(Directory.Exists)
            .SelectMany(CheckpointDirectories)
            .Where(IsComplete)
            .MaxBy(StepOf)
            ?? throw new DirectoryNotFoundException($"no complete checkpoint (a directory with {StateFile}) in {path}");
    }

    /// <summary>Loads a checkpoint into the model, optimizer and data source; returns its step.</summary>
    /// <exception cref="CheckpointFormatException">A missing or malformed file.</exception>
    public static int Restore(string directory, BiGSPreTrainedModel model, AdamW optimizer, IBatchSource data)
    {
        string statePath = Path.Combine(directory, StateFile);
        var state = ReadState(statePath);
        try
        {
            if ((string?)state["format"] != FormatName) throw new InvalidDataException($"\"format\" is not \"{FormatName}\"");
            int step = Required(state, "step").GetValue<int>();
            ulong[] rng = Required(state, "model_rng").AsArray().Select(n => n?.GetValue<ulong>() ?? 0).ToArray();
            var dataState = Required(state, "data").AsObject();
            PretrainedLoader.LoadWeights(model, PretrainedLoader.WeightsPath(directory));
            optimizer.LoadState(Path.Combine(directory, OptimizerFile));
            model.Rng.SetState(rng);
            data.SetState(dataState);
            if (optimizer.StepCount != step)
                throw new InvalidDataException($"step {step} does not match the optimizer state's step {optimizer.StepCount}");
            return step;
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new CheckpointFormatException($"bad training state: {e.Message}", statePath, inner: e);
        }
    }

    private static JsonObject ReadState(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new CheckpointFormatException("empty training state", path);
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException($"training state is not valid JSON: {e.Message}", path, inner: e);
        }
    }

    private static JsonNode Required(JsonObject state, string field) =>
        state[field] ?? throw new InvalidDataException($"no \"{field}\" field");

    /// <summary>The step a step-NNNNNN directory is named after (more than six digits past step 999999).</summary>
    private static long StepOf(string directory) =>
        long.TryParse(Path.GetFileName(directory).AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long step) ? step : -1;

    private static IEnumerable<string> CheckpointDirectories(string root) =>
        Directory.Exists(root) ? Directory.EnumerateDirectories(root, Prefix + "*") : [];
}
