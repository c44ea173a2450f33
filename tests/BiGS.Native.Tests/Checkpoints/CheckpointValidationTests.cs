using BiGS.Native.Checkpoints;
using Xunit;

namespace BiGS.Native.Tests.Checkpoints;

/// <summary>One error listing every missing, unexpected and mis-shaped tensor.</summary>
public class CheckpointValidationTests
{
    private static readonly Dictionary<string, int[]> Expected = new()
    {
        ["a.weight"] = [4, 2],
        ["a.bias"] = [4],
        ["b.weight"] = [3],
        ["c.weight"] = [1],
    };

    private static Dictionary<string, CheckpointTensor> Loaded(params (string Name, int[] Shape)[] tensors) =>
        tensors.ToDictionary(t => t.Name, t => CheckpointTensor.Allocate(t.Name, t.Shape, ElementType.Float32));

    [Fact]
    public void ListsAllProblemsInOneError()
    {
        var loaded = Loaded(("a.weight", [2, 4]), ("a.bias", [4]), ("z.extra", [1]), ("y.extra", [2]));
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointValidation.Check(Expected, loaded, "model.safetensors"));
        Assert.Equal(
            "model.safetensors: checkpoint does not match the model:\n" +
            "2 missing:\n  b.weight\n  c.weight\n" +
            "2 unexpected:\n  y.extra\n  z.extra\n" +
            "1 shape mismatches:\n  a.weight: expected [4, 2], found [2, 4]",
            e.Message);
    }

    [Fact]
    public void MatchingSetPassesAndExtrasCanBeAllowed()
    {
        var loaded = Loaded(("a.weight", [4, 2]), ("a.bias", [4]), ("b.weight", [3]), ("c.weight", [1]));
        CheckpointValidation.Check(Expected, loaded);
        Assert.True(CheckpointValidation.Compare(Expected, loaded.ToDictionary(p => p.Key, p => p.Value.Shape)).IsMatch);

        loaded["cls.predictions.bias"] = CheckpointTensor.Allocate("cls.predictions.bias", [5], ElementType.Float32);
        Assert.Throws<CheckpointFormatException>(() => CheckpointValidation.Check(Expected, loaded));
        CheckpointValidation.Check(Expected, loaded, allowUnexpected: true);
    }
}
