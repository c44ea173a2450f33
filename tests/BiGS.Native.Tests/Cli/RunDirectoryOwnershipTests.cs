using BiGS.Native.Tests.Tasks;
using BiGS.Native.Tests.Training;
using BiGS.Native.Training;

namespace BiGS.Native.Tests.Cli;

/// <summary>
/// A run directory belongs to its run: `pretrain`/`finetune` refuse to write into anything else without
/// --overwrite, delete only checkpoints their run directory lists, continue a resumed run where it was, and never
/// write into the model they start from.
/// </summary>
[Collection("Console")]
public class RunDirectoryOwnershipTests : IDisposable
{
    private readonly TemporaryDirectory work = new();

    /// <inheritdoc />
    public void Dispose() => work.Dispose();

    [Fact]
    public void An_unrelated_directory_is_refused_naming_overwrite_and_left_as_it_was()
    {
        var inputs = TinyPretrainInputs.Create(work);
        string foreign = work.Subdirectory();
        File.WriteAllText(Path.Combine(foreign, "metrics.jsonl"), "someone else's log\n");
        File.WriteAllText(Path.Combine(foreign, "loss.svg"), "someone else's plot");
        var before = FileTree.Snapshot(foreign);

        var (exit, _, error) = CliRunner.Run(inputs.Args(foreign, 2));
        Assert.Equal(1, exit);
        Assert.Equal($"error: --out {foreign} exists and is not a pretrain run directory (it has no bigs_run.json); choose a new directory, "
            + "or give --overwrite to write into it (files of the names written are replaced; nothing else is deleted)", error.Trim());
        Assert.Equal(before, FileTree.Snapshot(foreign));
    }

    [Fact]
    public void Overwrite_replaces_only_what_the_run_writes_and_rotation_keeps_checkpoints_it_did_not_write()
    {
        var inputs = TinyPretrainInputs.Create(work);
        string foreign = work.Subdirectory(), checkpoints = Path.Combine(foreign, "checkpoints");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(checkpoints, "step-999999")).FullName, "mine.txt"), "keep me");
        Directory.CreateDirectory(Path.Combine(checkpoints, "step-000100"));
        File.WriteAllText(Path.Combine(foreign, "notes.txt"), "keep me too");

        var (exit, stdout, error) = CliRunner.Run([.. inputs.Args(foreign, 4), "--save-every", "2", "--overwrite"]);
        Assert.True(exit == 0, error + stdout);
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(checkpoints, "step-999999", "mine.txt")));
        Assert.True(Directory.Exists(Path.Combine(checkpoints, "step-000100")));
        Assert.Equal("keep me too", File.ReadAllText(Path.Combine(foreign, "notes.txt")));
        Assert.False(Directory.Exists(Path.Combine(checkpoints, "step-000002")));   // ours, rotated away
        Assert.True(TrainingCheckpoint.IsComplete(Path.Combine(checkpoints, "step-000004")));

        // a later run in its own run directory needs no --overwrite; a fine-tuning run there does
        (exit, stdout, error) = CliRunner.Run(inputs.Args(foreign, 1));
        Assert.True(exit == 0, error + stdout);
        using var setup = new TinyTaskSetup();
        (exit, _, error) = CliRunner.Run("finetune", "--task", "sst2", "--data", setup.DataDirectory, "--model", setup.ModelDirectory, "--out", foreign);
        Assert.Equal(1, exit);
        Assert.StartsWith($"error: --out {foreign} is a pretrain run directory, not a finetune one;", error);
    }

    [Fact]
    public void Resume_from_a_checkpoint_without_out_continues_in_its_run_directory()
    {
        var inputs = TinyPretrainInputs.Create(work);
        string run = Path.Combine(work.Subdirectory(), "B"), elsewhere = Path.Combine(Environment.CurrentDirectory, "runs", "pretrain");
        bool elsewhereExisted = Directory.Exists(elsewhere);
        var (exit, stdout, error) = CliRunner.Run([.. inputs.Args(run, 2), "--save-every", "1"]);
        Assert.True(exit == 0, error + stdout);
        string checkpoint = TrainingCheckpoint.FindLatest(run);

        string[] resumeArgs = [.. inputs.Args(run, 4).SkipLast(2), "--resume", checkpoint];   // no --out
        Assert.DoesNotContain("--out", resumeArgs);
        (exit, stdout, error) = CliRunner.Run(resumeArgs);
        Assert.True(exit == 0, error + stdout);
        Assert.Contains($"resumed from {checkpoint} at step 2", stdout);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(run, MetricsLog.LogFile)).Count(l => !l.Contains("\"eval\"")));
        Assert.True(TrainingCheckpoint.IsComplete(TrainingCheckpoint.DirectoryFor(Path.Combine(run, "checkpoints"), 4)));
        Assert.Equal(elsewhereExisted, Directory.Exists(elsewhere));
    }

    [Fact]
    public void Finetune_and_pretrain_never_write_into_the_model_they_start_from()
    {
        using var setup = new TinyTaskSetup();
        var before = FileTree.Snapshot(setup.ModelDirectory);
        var (exit, _, error) = CliRunner.Run("finetune", "--task", "sst2", "--data", setup.DataDirectory, "--model", setup.ModelDirectory, "--out", setup.ModelDirectory);
        Assert.Equal(1, exit);
        Assert.Equal($"error: --out {setup.ModelDirectory} is the --model model {setup.ModelDirectory}; a run never writes into the model it starts from, so choose another --out", error.Trim());

        var inputs = TinyPretrainInputs.Create(work);
        (exit, _, error) = CliRunner.Run([.. inputs.Args(Path.Combine(setup.ModelDirectory, "run"), 1), "--init", setup.ModelDirectory]);
        Assert.Equal(1, exit);
        Assert.Contains("lies inside the --init model", error);
        Assert.Equal(before, FileTree.Snapshot(setup.ModelDirectory));
    }
}
