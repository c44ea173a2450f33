using BiGS.Native.Autograd;
using BiGS.Native.Distributed;
using BiGS.Native.Tensors;
using BiGS.Native.Training;

namespace BiGS.Native.Tests.Distributed;

/// <summary>ZeRO stage 1's pieces in one process: the assignment of parameters to ranks and AdamW keeping a share of its state.</summary>
public class OptimizerShardingTests
{
    [Fact]
    public void Parameters_go_whole_largest_first_to_the_rank_with_the_fewest_elements()
    {
        var p = new[] { 100, 300, 200, 50 }.Select((n, i) => new Parameter($"p{i}", Tensor.Zeros(n))).ToList();
        var owners = DataParallel.AssignOwners(p, ranks: 2);
        // 300 -> rank 0; 200 -> rank 1; 100 -> rank 1 (200 < 300); 50 -> rank 0 (300 = 300: the lower rank)
        Assert.Equal([1, 0, 1, 0], p.Select(x => owners[x]));
    }

    [Fact]
    public void An_optimizer_keeping_a_share_of_its_state_updates_only_that_share_and_holds_only_its_bytes()
    {
        var kept = new Parameter("kept", Tensor.FromArray([1f, 2f, 3f], 3));
        var dropped = new Parameter("dropped", Tensor.FromArray([1f, 2f], 2));
        var optimizer = new AdamW([new ParameterGroup([kept, dropped], 1f, 0f)], new AdamWOptions());
        Assert.Equal(2 * 5 * sizeof(float), optimizer.StateBytes);

        optimizer.KeepStateOnlyFor(p => ReferenceEquals(p, kept));
        Assert.Equal(2 * 3 * sizeof(float), optimizer.StateBytes);
        Assert.Null(optimizer.StateOf(dropped));
        kept.Grad = Tensor.Ones(3);
        dropped.Grad = Tensor.Ones(2);
        optimizer.Step(0.1f);
        Assert.NotEqual([1f, 2f, 3f], kept.Value.ToArray());
        Assert.Equal([1f, 2f], dropped.Value.ToArray());   // another rank's to update

        // saving needs every parameter's state: missing, it says whose; given back, it saves
        string path = Path.Combine(Path.GetTempPath(), $"adamw-{Guid.NewGuid():N}.safetensors");
        Assert.Contains("dropped", Assert.Throws<InvalidOperationException>(() => optimizer.SaveState(path)).Message);
        optimizer.SetState(dropped, [0.5f, 0.25f], [1f, 2f]);
        try
        {
            optimizer.SaveState(path);
        }
        finally
        {
            File.Delete(path);
        }
        Assert.Equal([0.5f, 0.25f], optimizer.StateOf(dropped)!.Value.M.ToArray());
    }
}
