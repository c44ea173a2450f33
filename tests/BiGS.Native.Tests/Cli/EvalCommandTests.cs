using System.Text.Json;
using BiGS.Native.Tests.Tasks;

namespace BiGS.Native.Tests.Cli;

/// <summary><c>bigs eval</c> error cases and the custom-task path (labels carried in the fine-tuned config).</summary>
[Collection("Console")]
public class EvalCommandTests
{
    [Fact]
    public void A_model_without_a_trained_classifier_is_refused()
    {
        using var setup = new TinyTaskSetup();
        var (exitCode, _, error) = TinyTaskSetup.Run("eval", "--task", "sst2", "--model", setup.ModelDirectory, "--data", setup.DataDirectory);
        Assert.Equal(1, exitCode);
        Assert.Contains("has no trained classifier (it holds BiGSForMaskedLM)", error);
    }

    [Fact]
    public void An_empty_dev_file_is_an_error_naming_it()
    {
        using var setup = new TinyTaskSetup();
        string output = Path.Combine(setup.Files.Root, "out");
        Assert.Equal(0, TinyTaskSetup.Run("finetune", "--task", "sst2", "--data", setup.DataDirectory, "--model", setup.ModelDirectory,
            "--out", output, "--epochs", "1", "--batch-size", "20").ExitCode);
        string dev = setup.Files.Write("data/dev.tsv", "");
        var (exitCode, _, error) = TinyTaskSetup.Run("eval", "--task", "sst2", "--model", output, "--data", setup.DataDirectory);
        Assert.Equal(1, exitCode);
        Assert.Equal($"error: {dev}: the file is empty (it needs a header line)", error.Trim());
    }

    [Fact]
    public void Custom_csv_task_learns_labels_from_train_and_eval_reads_them_from_the_model()
    {
        using var setup = new TinyTaskSetup();
        string Csv(string tsvName) => string.Join('\n', File.ReadAllLines(Path.Combine(setup.DataDirectory, tsvName)).Skip(1)
            .Select(line => line.Split('\t')).Select(f => $"\"{f[0]}\",{(f[1] == "1" ? "pos" : "neg")}").Prepend("review,mood")) + "\n";
        string csvData = Path.Combine(setup.Files.Root, "csvdata");
        setup.Files.Write("csvdata/train.csv", Csv("train.tsv"));
        setup.Files.Write("csvdata/dev.csv", Csv("dev.tsv"));
        string[] custom = ["--task", "custom", "--text-column", "review", "--label-column", "mood"];
        string output = Path.Combine(setup.Files.Root, "out");
        var (exitCode, stdout, error) = TinyTaskSetup.Run(["finetune", .. custom, "--data", csvData, "--model", setup.ModelDirectory,
            "--out", output, "--epochs", "1", "--batch-size", "20", "--no-pad"]);
        Assert.True(exitCode == 0, error + stdout);

        (exitCode, stdout, error) = TinyTaskSetup.Run(["eval", .. custom, "--model", output, "--data", csvData, "--json", "--no-pad"]);
        Assert.True(exitCode == 0, error);
        using var report = JsonDocument.Parse(stdout);
        Assert.Equal("longest", report.RootElement.GetProperty("padding").GetString());
        double accuracy = report.RootElement.GetProperty("results").GetProperty("dev").GetProperty("accuracy").GetDouble();
        Assert.InRange(accuracy, 0, 1);
        Assert.Equal(0, accuracy * 16 % 1, 9);   // a whole number of the 16 examples
    }
}
