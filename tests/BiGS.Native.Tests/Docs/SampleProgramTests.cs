using BiGS.Native.Tests.Modeling;

namespace BiGS.Native.Tests.Docs;

/// <summary>
/// The samples run as the README says: each takes an optional checkpoint as its first argument. They are compiled
/// from their Program.cs as a console project referencing BiGS.Native would be (<see cref="ConsoleProgram"/>). They print
/// to the console, so they run in the "Console" collection: never while another test has captured it.
/// </summary>
[Collection("Console")]
public class SampleProgramTests
{
    [Fact]
    public void SsmWalkthrough_tours_a_layer_of_the_checkpoint_it_is_given()
    {
        using var temp = new TemporaryDirectory();
        string plot = Path.Combine(temp.Path, "kernel.svg");
        ConsoleProgram.Run(SampleSource("SsmWalkthrough"), TinyFixture.Directory, "1", "bs4", "--length", "32", "--out", plot);
        Assert.Contains("S4D kernel K: layer 1, bs4", File.ReadAllText(plot));
    }

    [Fact]
    public void SsmWalkthrough_without_a_checkpoint_tours_an_untrained_ssm()
    {
        using var temp = new TemporaryDirectory();
        string plot = Path.Combine(temp.Path, "kernel.svg");
        ConsoleProgram.Run(SampleSource("SsmWalkthrough"), "--length", "16", "--out", plot);
        Assert.Contains("S4D kernel K: untrained HiPPO S4D", File.ReadAllText(plot));
    }

    [Fact]
    public void SsmWalkthrough_names_a_layer_the_checkpoint_does_not_have()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            ConsoleProgram.Run(SampleSource("SsmWalkthrough"), TinyFixture.Directory, "7", "--length", "16", "--out", "unused.svg"));
        Assert.Contains("layer 7 is out of range", error.Message);
        Assert.Contains("2 layers", error.Message);
    }

    private static string SampleSource(string sample) =>
        File.ReadAllText(Path.Combine(ConsoleProgram.RepositoryRoot(), "samples", sample, "Program.cs"));
}
