using BiGS.Native.Training;

namespace BiGS.Native.Cli.Commands;

/// <summary>
/// Lets a run directory stand wherever a model directory is asked for: a directory with its own config.json is the
/// model (a fine-tuning run keeps its best model there); otherwise its newest complete checkpoint is used (a
/// pretraining run), and the command says which on standard error.
/// </summary>
internal static class ModelPath
{
    /// <summary>The model directory <paramref name="path"/> stands for (unchanged when it is one, or when it holds no checkpoint either).</summary>
    public static string Resolve(string path)
    {
        if (File.Exists(Path.Combine(path, "config.json")) || !Directory.Exists(Path.Combine(path, RunDirectory.CheckpointFolder)))
            return path;
        string checkpoint = TrainingCheckpoint.FindLatest(path);
        Console.Error.WriteLine($"using {checkpoint}, the newest checkpoint of the run in {path}");
        return checkpoint;
    }
}
