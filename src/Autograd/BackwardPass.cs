using BiGS.Native.Tensors;

namespace BiGS.Native.Autograd;

/// <summary>
/// Reverse-mode sweep: order the recorded nodes so every node comes after all nodes that consume its output,
/// then push gradients from the root towards the leaves (the chain rule, one node at a time).
/// </summary>
internal static class BackwardPass
{
    public static void Run(Variable root, Tensor rootGrad)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException("Backward: the output does not require grad (no parameter or input requires grad, or it was computed under NoGrad)");
        var pending = new Dictionary<Variable, Tensor>(ReferenceEqualityComparer.Instance) { [root] = rootGrad };
        foreach (var variable in ReverseTopologicalOrder(root))
        {
            if (!pending.Remove(variable, out var grad)) continue;
            if (variable.IsLeaf)
            {
                variable.AccumulateLeafGrad(grad);
                continue;
            }
            var node = variable.Node!;
            var inputGrads = node.Backward(grad);
            for (int i = 0; i < node.Inputs.Length; i++)
                Accumulate(pending, node.Inputs[i], inputGrads[i], node.Name);
        }
    }

    private static void Accumulate(Dictionary<Variable, Tensor> pending, Variable input, Tensor? grad, string nodeName)
    {
        if (grad is null || !input.RequiresGrad) return;
        if (!grad.Shape.SequenceEqual(input.Shape))
            throw new InvalidOperationException($"{nodeName} backward produced a gradient of shape {grad.ShapeString} for an input of shape {input.Value.ShapeString}");
        // Sums out of place: a backward may hand the same tensor to several inputs.
        pending[input] = pending.TryGetValue(input, out var existing) ? existing + grad : grad;
    }

    /// <summary>Depth-first post-order from the root, reversed: consumers before producers.</summary>
    private static List<Variable> ReverseTopologicalOrder(Variable root)
    {
        var order = new List<Variable>();
        var visited = new HashSet<Variable>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Variable Variable, bool Expanded)>();
        stack.Push((root, false));
        while (stack.Count > 0)
        {
            var (variable, expanded) = stack.Pop();
            if (expanded)
            {
                order.Add(variable);
                continue;
            }
            if (!visited.Add(variable)) continue;
            stack.Push((variable, true));
            if (variable.Node is null) continue;
            foreach (var input in variable.Node.Inputs)
                if (input.RequiresGrad && !visited.Contains(input)) stack.Push((input, false));
        }
        order.Reverse();
        return order;
    }
}
