using BiGS.Native.Tensors;

namespace BiGS.Native.Autograd;

/// <summary>
/// One recorded operation: its inputs, a function mapping the gradient of its output to the gradients of
/// its inputs (null for inputs that need none), and the tensors only that function reads besides the inputs' and
/// output's values (e.g. a pre-activation), so a releasing backward pass can free them once it has run.
/// </summary>
internal sealed class GradNode(string name, Variable[] inputs, Func<Tensor, Tensor?[]> backward, Tensor[] saved)
{
    public string Name { get; } = name;

    public Variable[] Inputs { get; } = inputs;

    public Func<Tensor, Tensor?[]> Backward { get; } = backward;

    /// <summary>Temporaries kept for <see cref="Backward"/> alone.</summary>
    public Tensor[] Saved { get; } = saved;

    /// <summary>True once a releasing backward pass has freed this node's values: it cannot run again.</summary>
    public bool Released { get; set; }
}
