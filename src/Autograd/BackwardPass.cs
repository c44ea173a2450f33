using BiGS.Native.Tensors;

namespace BiGS.Native.Autograd;

/// <summary>
/// Reverse-mode sweep: order the recorded nodes so every node comes after all nodes that consume its output,
/// then push gradients from the root towards the leaves (the chain rule, one node at a time). A leaf's gradient goes
/// straight into its Grad: a node's backward writes it there itself where it can (see
/// <see cref="Variable.GradDestination"/>), and any tensor a node hands on for a leaf is added into Grad at once.
/// Memory is released as the sweep goes, as soon as nothing can read it again: each node's backward runs in its
/// own <see cref="TensorScope"/> (its temporaries are freed when it returns; only the gradients it hands on are
/// kept), and a gradient the pass itself allocated is freed once every variable it was pending for is done.
/// A releasing pass also frees the graph's forward memory as it goes (see <see cref="GraphRelease"/>).
/// A variable used by several operations receives one gradient share from each; the shares are summed in place, into
/// a buffer the pass alone holds: a later share's backward writes onto it (GEMM with beta 1, LayerNorm backward adding
/// its dx, a flipped share added where it lies; see <see cref="GradientToAddInto"/>), and a share handed on is added
/// into whichever addend nothing else reads.
/// </summary>
internal static class BackwardPass
{
    /// <summary>The pending gradients of the pass running on this thread (null outside a pass).</summary>
    [ThreadStatic]
    private static PendingGradients? running;

    /// <summary>
    /// The gradient of a non-leaf variable that the running pass holds for it and may be added into in place: a
    /// contiguous buffer the pass allocated, which no other pending gradient shares; null when there is none. A backward
    /// that writes its share for <paramref name="variable"/> onto it returns it, and the pass then adds nothing.
    /// </summary>
    internal static Tensor? GradientToAddInto(Variable variable) => running?.Writable(variable);

    public static void Run(Variable root, Tensor rootGrad, bool releaseGraph, Action<Variable>? leafGradReady = null)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException("Backward: the output does not require grad (no parameter or input requires grad, or it was computed under NoGrad)");
        var order = ReverseTopologicalOrder(root);
        if (order.FirstOrDefault(v => v.Node is { Released: true }) is { } released)
            throw new InvalidOperationException($"Backward: the graph through {released.Node!.Name} was already released by a Backward(releaseGraph: true); run the forward again");
        var release = releaseGraph ? new GraphRelease(root, rootGrad, order) : null;
        foreach (var leaf in order.Where(v => v.IsLeaf)) leaf.GradWrittenInPass = false;
        var pending = new PendingGradients();
        if (root.IsLeaf) root.AccumulateLeafGrad(rootGrad);
        else pending.Add(root, rootGrad, ownedByPass: false);
        var outer = running;
        running = pending;
        try
        {
            Sweep(order, pending, release, leafGradReady);
        }
        finally
        {
            running = outer;
        }
    }

    private static void Sweep(List<Variable> order, PendingGradients pending, GraphRelease? release, Action<Variable>? leafGradReady)
    {
        foreach (var variable in order)
        {
            if (variable.IsLeaf) FinishLeaf(variable, leafGradReady);
            else if (pending.TryTake(variable, out var grad))
            {
                PropagateThroughNode(pending, variable.Node!, grad);
                pending.Release(grad);
            }
            release?.Done(variable);
        }
    }

    /// <summary>
    /// Every consumer of a leaf comes before it in the order and has written its share into the leaf's Grad: the
    /// gradient is complete, so the leaf is reported ready (once per pass, and only if a gradient reached it).
    /// </summary>
    private static void FinishLeaf(Variable leaf, Action<Variable>? leafGradReady)
    {
        if (!leaf.GradWrittenInPass) return;
        leaf.GradWrittenInPass = false;
        leafGradReady?.Invoke(leaf);
    }

    private static void PropagateThroughNode(PendingGradients pending, GradNode node, Tensor grad)
    {
        using var nodeScope = new TensorScope();
        var inputGrads = node.Backward(grad);
        for (int i = 0; i < node.Inputs.Length; i++)
            Accumulate(pending, nodeScope, node.Inputs[i], inputGrads[i], node.Name);
    }

    private static void Accumulate(PendingGradients pending, TensorScope nodeScope, Variable input, Tensor? grad, string nodeName)
    {
        if (grad is null || !input.RequiresGrad) return;
        if (!grad.Shape.SequenceEqual(input.Shape))
            throw new InvalidOperationException($"{nodeName} backward produced a gradient of shape {grad.ShapeString} for an input of shape {input.Value.ShapeString}");
        if (input.IsLeaf)
        {
            // added into the leaf's Grad at once: nothing waits, and the node's tensor is freed with its scope
            input.AccumulateLeafGrad(grad);
            return;
        }
        if (pending.Holds(input, grad)) return; // the backward added its share into the pending gradient itself
        bool allocatedByNode = nodeScope.Owns(grad.Storage);
        if (allocatedByNode) grad.Keep();
        pending.Add(input, grad, allocatedByNode);
    }

    /// <summary>
    /// The gradients waiting for their variable's turn, with a count of pending entries per storage (a backward may
    /// hand one tensor, or views of it, to several inputs). Storages the pass allocated are disposed when their
    /// count drops to zero; the caller's root gradient and tensors a backward returned from elsewhere are never
    /// disposed nor written.
    /// </summary>
    private sealed class PendingGradients
    {
        private readonly Dictionary<Variable, Tensor> byVariable = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<TensorStorage, int> uses = new(ReferenceEqualityComparer.Instance);
        private readonly HashSet<TensorStorage> ownedByPass = new(ReferenceEqualityComparer.Instance);

        public void Add(Variable variable, Tensor grad, bool ownedByPass)
        {
            if (ownedByPass) this.ownedByPass.Add(grad.Storage);
            AddUse(grad);
            if (byVariable.Remove(variable, out var existing)) grad = Sum(existing, grad);
            byVariable[variable] = grad;
        }

        public bool TryTake(Variable variable, out Tensor grad) => byVariable.Remove(variable, out grad!);

        /// <summary>True when <paramref name="grad"/> is the very tensor pending for <paramref name="variable"/>.</summary>
        public bool Holds(Variable variable, Tensor grad) =>
            byVariable.TryGetValue(variable, out var held) && ReferenceEquals(held, grad);

        /// <summary>The variable's pending gradient when the pass may write into it (see <see cref="GradientToAddInto"/>).</summary>
        public Tensor? Writable(Variable variable) =>
            byVariable.TryGetValue(variable, out var held) && AloneHeld(held) ? held : null;

        /// <summary>
        /// existing + grad, in place into an addend the pass alone holds (the other loses its use), else into a fresh
        /// tensor the pass owns (kept past the node's scope; both addends lose their use).
        /// </summary>
        private Tensor Sum(Tensor existing, Tensor grad)
        {
            var (into, addend) = AloneHeld(existing) ? (existing, grad) : AloneHeld(grad) ? (grad, existing) : (null, null);
            if (into is not null)
            {
                into.AddInPlace(addend!);
                Release(addend!);
                return into;
            }
            var sum = (existing + grad).Keep();
            ownedByPass.Add(sum.Storage);
            AddUse(sum);
            Release(existing);
            Release(grad);
            return sum;
        }

        /// <summary>A contiguous tensor in a storage the pass allocated and holds for one pending entry alone.</summary>
        private bool AloneHeld(Tensor grad) =>
            grad.IsContiguous && ownedByPass.Contains(grad.Storage) && uses.GetValueOrDefault(grad.Storage) == 1;

        /// <summary>Drops one use of the gradient's storage, disposing it if the pass owns it and no use is left.</summary>
        public void Release(Tensor grad)
        {
            var storage = grad.Storage;
            if (!uses.TryGetValue(storage, out int count)) return;
            if (count > 1)
            {
                uses[storage] = count - 1;
                return;
            }
            uses.Remove(storage);
            if (ownedByPass.Remove(storage)) storage.Dispose();
        }

        private void AddUse(Tensor grad) => uses[grad.Storage] = uses.GetValueOrDefault(grad.Storage) + 1;
    }

    /// <summary>
    /// Frees forward memory during the sweep, as PyTorch frees a graph's saved tensors: the value of a variable made
    /// by an operation, and its node's saved temporaries, are needed only until that node's backward has run (every
    /// consumer ran before it). Values are counted per storage, since views share one; a storage is disposed when
    /// the last variable or node using it is done. Leaves (parameters, inputs, constants), the root and the root
    /// gradient are never freed, nor anything sharing their storage.
    /// </summary>
    private sealed class GraphRelease
    {
        private readonly HashSet<TensorStorage> kept = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<TensorStorage, int> remainingUses = new(ReferenceEqualityComparer.Instance);

        public GraphRelease(Variable root, Tensor rootGrad, List<Variable> order)
        {
            kept.Add(root.Value.Storage);
            kept.Add(rootGrad.Storage);
            foreach (var variable in order)
            {
                if (variable.Node is not { } node)
                {
                    kept.Add(variable.Value.Storage);
                    continue;
                }
                foreach (var input in node.Inputs)
                    if (input.IsLeaf) kept.Add(input.Value.Storage);
                foreach (var tensor in ValuesOf(variable)) remainingUses[tensor.Storage] = remainingUses.GetValueOrDefault(tensor.Storage) + 1;
            }
        }

        /// <summary>Called once the sweep has finished with a variable (whether or not a gradient reached it).</summary>
        public void Done(Variable variable)
        {
            if (variable.Node is not { } node) return;
            node.Released = true;
            foreach (var tensor in ValuesOf(variable))
            {
                var storage = tensor.Storage;
                int left = remainingUses[storage] - 1;
                if (left > 0)
                {
                    remainingUses[storage] = left;
                    continue;
                }
                remainingUses.Remove(storage);
                if (!kept.Contains(storage)) storage.Dispose();
            }
        }

        /// <summary>The variable's value and its node's saved temporaries.</summary>
        private static IEnumerable<Tensor> ValuesOf(Variable variable) => variable.Node!.Saved.Prepend(variable.Value);
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
