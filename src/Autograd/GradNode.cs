using BiGS.Native.Tensors;

namespace BiGS.Native.Autograd;

/// <summary>
/// One recorded operation: its inputs and a function mapping the gradient of its output to the gradients of
/// its inputs (null for inputs that need none).
/// </summary>
internal sealed class GradNode(string name, Variable[] inputs, Func<Tensor, Tensor?[]> backward)
{
    public string Name { get; } = name;

    public Variable[] Inputs { get; } = inputs;

    public Func<Tensor, Tensor?[]> Backward { get; } = backward;
}
