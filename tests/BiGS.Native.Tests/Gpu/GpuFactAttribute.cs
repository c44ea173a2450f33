using BiGS.Native.Tensors;
using System.Runtime.CompilerServices;
using Xunit;
using Xunit.Sdk;
using Xunit.v3;

namespace BiGS.Native.Tests.Gpu;

/// <summary>Marks a concrete parity-test class with the GPU backend it runs on.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class GpuTargetAttribute(DeviceKind kind) : Attribute
{
    /// <summary>The backend under test.</summary>
    public DeviceKind Kind { get; } = kind;
}

/// <summary>
/// A fact that runs on the GPU backend named by its class's <see cref="GpuTargetAttribute"/> and is skipped, with
/// the reason, where that backend cannot run (CUDA or OpenCL without a device). ILGPU's CPU accelerator runs
/// everywhere, so every kernel is tested on every machine.
/// </summary>
[XunitTestCaseDiscoverer(typeof(GpuFactDiscoverer))]
[AttributeUsage(AttributeTargets.Method)]
public sealed class GpuFactAttribute(
    [CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
    : FactAttribute(sourceFilePath, sourceLineNumber);

/// <summary>
/// A theory whose data rows run on the device of the concrete class: a class with a <see cref="GpuTargetAttribute"/>
/// is skipped like <see cref="GpuFactAttribute"/>; a class without one runs on the CPU and is never skipped. Lets one
/// abstract test family be instantiated per backend.
/// </summary>
[XunitTestCaseDiscoverer(typeof(GpuTheoryDiscoverer))]
[AttributeUsage(AttributeTargets.Method)]
public sealed class GpuTheoryAttribute(
    [CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
    : TheoryAttribute(sourceFilePath, sourceLineNumber);

/// <summary>
/// Limits a <see cref="GpuTheoryAttribute"/> family on one class to the data rows made only of the given values (for a
/// slow device, a representative subset of the rows the other devices run).
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class DataRowsOfAttribute(params object[] values) : Attribute
{
    /// <summary>True when every element of <paramref name="row"/> is one of the values.</summary>
    public bool Admits(object?[] row) => row.All(element => values.Contains(element));
}

/// <summary>Discovers a <see cref="GpuFactAttribute"/> test as a plain fact, skipped where its class's backend cannot run.</summary>
public sealed class GpuFactDiscoverer : FactDiscoverer
{
    /// <inheritdoc />
    protected override IXunitTestCase CreateTestCase(ITestFrameworkDiscoveryOptions discoveryOptions,
        IXunitTestMethod testMethod, IFactAttribute factAttribute) =>
        base.CreateTestCase(discoveryOptions, testMethod,
            GpuAvailability.SkipReasonFor(testMethod) is { } reason ? new SkippedFact(factAttribute, reason) : factAttribute);

    /// <summary>The fact as written, skipped for <paramref name="reason"/>.</summary>
    private sealed class SkippedFact(IFactAttribute fact, string reason) : IFactAttribute
    {
        public string? DisplayName => fact.DisplayName;
        public bool Explicit => fact.Explicit;
        public string? Skip => reason;
        public Type[]? SkipExceptions => fact.SkipExceptions;
        public Type? SkipType => null;
        public string? SkipUnless => null;
        public string? SkipWhen => null;
        public string? SourceFilePath => fact.SourceFilePath;
        public int? SourceLineNumber => fact.SourceLineNumber;
        public int Timeout => fact.Timeout;
    }
}

/// <summary>
/// Discovers one test case per data row that the class's <see cref="DataRowsOfAttribute"/> admits, each skipped where
/// the class's backend cannot run (the rows here are all serializable, so xunit enumerates them at discovery).
/// </summary>
public sealed class GpuTheoryDiscoverer : TheoryDiscoverer
{
    /// <inheritdoc />
    protected override ValueTask<IReadOnlyCollection<IXunitTestCase>> CreateTestCasesForDataRow(
        ITestFrameworkDiscoveryOptions discoveryOptions, IXunitTestMethod testMethod, ITheoryAttribute theoryAttribute,
        ITheoryDataRow dataRow, object?[] testMethodArguments)
    {
        var filter = testMethod.TestClass.Class.GetCustomAttributes(typeof(DataRowsOfAttribute), true)
            .Cast<DataRowsOfAttribute>().SingleOrDefault();
        if (filter is not null && !filter.Admits(testMethodArguments)) return new([]);
        var row = GpuAvailability.SkipReasonFor(testMethod) is { } reason ? new SkippedRow(dataRow, reason) : dataRow;
        return base.CreateTestCasesForDataRow(discoveryOptions, testMethod, theoryAttribute, row, testMethodArguments);
    }

    /// <summary>The data row as given, skipped for <paramref name="reason"/>.</summary>
    private sealed class SkippedRow(ITheoryDataRow row, string reason) : ITheoryDataRow
    {
        public bool? Explicit => row.Explicit;
        public string? Label => row.Label;
        public string? Skip => reason;
        public Type? SkipType => null;
        public string? SkipUnless => null;
        public string? SkipWhen => null;
        public string? TestDisplayName => row.TestDisplayName;
        public int? Timeout => row.Timeout;
        public Dictionary<string, HashSet<string>>? Traits => row.Traits;
        public object?[] GetData() => row.GetData();
    }
}

/// <summary>The device a test class runs on, from its <see cref="GpuTargetAttribute"/> (the CPU without one).</summary>
public static class TestDevices
{
    /// <summary>The GPU kind the class targets, or null for a CPU class.</summary>
    public static DeviceKind? TargetOf(Type testClass) =>
        testClass.GetCustomAttributes(typeof(GpuTargetAttribute), true).Cast<GpuTargetAttribute>().SingleOrDefault()?.Kind;

    /// <summary>Opens the class's device: CUDA device 0, OpenCL device 0, ILGPU's CPU accelerator, or the CPU.</summary>
    public static Device For(Type testClass) => TargetOf(testClass) switch
    {
        DeviceKind.Cuda => Devices.Cuda(),
        DeviceKind.OpenCL => Devices.OpenCL(),
        DeviceKind.IlgpuCpu => Devices.IlgpuCpu(),
        _ => Device.Cpu,
    };
}

/// <summary>Whether each GPU backend can run here.</summary>
public static class GpuAvailability
{
    /// <summary>Null when tests on <paramref name="kind"/> should run, otherwise why they are skipped.</summary>
    public static string? SkipReason(DeviceKind kind) => Devices.Unavailability(kind);

    /// <summary>Why the test's class cannot run here (its GPU backend is unavailable), or null when it can.</summary>
    public static string? SkipReasonFor(IXunitTestMethod testMethod) =>
        TestDevices.TargetOf(testMethod.TestClass.Class) is { } kind ? SkipReason(kind) : null;
}
