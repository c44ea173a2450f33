using BiGS.Native.Autograd;
using BiGS.Native.Tensors;

namespace BiGS.Native.Nn;

/// <summary>
/// A building block with named parameters and named sub-modules. Full parameter names join the path with dots
/// ("bigs.encoder.layer.0.dv.weight"), matching the PyTorch port so checkpoints interoperate.
/// Disposing a module releases its parameters' memory (device memory on a GPU) at once.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string Name, Parameter Parameter)> parameters = [];
    private readonly List<(string Name, Module Module)> children = [];

    /// <summary>True in training mode (dropout active).</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Registers a parameter under a local name.</summary>
    protected Parameter AddParameter(string name, Tensor value)
    {
        var parameter = new Parameter(name, value);
        parameters.Add((name, parameter));
        return parameter;
    }

    /// <summary>Registers a sub-module under a local name.</summary>
    protected T AddModule<T>(string name, T module) where T : Module
    {
        children.Add((name, module));
        return module;
    }

    /// <summary>Every parameter with its full dotted name, depth first; a shared parameter is listed once.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters()
    {
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var (name, parameter) in NamedParametersWithPrefix(""))
            if (seen.Add(parameter)) yield return (name, parameter);
    }

    /// <summary>Every parameter, once each.</summary>
    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>Sets training mode on this module and every sub-module.</summary>
    public void Train(bool training = true)
    {
        Training = training;
        foreach (var (_, child) in children) child.Train(training);
    }

    /// <summary>Inference mode (no dropout).</summary>
    public void Eval() => Train(false);

    /// <summary>
    /// Moves every parameter to a device, those of one dtype into one new buffer there: each parameter's value becomes
    /// a view of it, back to back in parameter order. One allocation on the device, and an optimizer can update the
    /// values where they are (<see cref="BiGS.Native.Training.AdamW"/> rearranges them by group within the buffer).
    /// </summary>
    public void To(Device device)
    {
        foreach (var moving in Parameters().Where(p => !p.Value.Device.Equals(device)).GroupBy(p => p.Value.DType))
        {
            var values = moving.Select(p => p.Value).ToList();
            var buffer = Tensor.Empty(moving.Key, device, checked((int)values.Sum(v => v.Count))).KeepAlive();
            foreach (var (parameter, view) in moving.Zip(buffer.CarveLike(values)))
            {
                view.CopyFrom(parameter.Value);
                parameter.Assign(view);
            }
        }
    }

    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var parameter in Parameters()) parameter.ZeroGrad();
    }

    /// <summary>
    /// Releases the storage of every parameter and gradient (shared ones once) now rather than when the garbage
    /// collector gets to it; on a GPU this frees device memory. Dispose the model you created, not a sub-module of
    /// it: the parameters are unusable afterwards.
    /// </summary>
    public void Dispose()
    {
        foreach (var parameter in Parameters())
        {
            parameter.Grad?.Dispose();
            parameter.Value.Dispose();
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Total number of parameter elements.</summary>
    public long ParameterCount() => Parameters().Sum(p => p.Value.Count);

    private IEnumerable<(string, Parameter)> NamedParametersWithPrefix(string prefix)
    {
        foreach (var (name, parameter) in parameters) yield return (prefix + name, parameter);
        foreach (var (name, child) in children)
            foreach (var entry in child.NamedParametersWithPrefix(prefix + name + "."))
                yield return entry;
    }
}
