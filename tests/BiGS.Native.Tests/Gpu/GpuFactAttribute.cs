using BiGS.Native.Tensors;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

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
[XunitTestCaseDiscoverer("BiGS.Native.Tests.Gpu.GpuFactDiscoverer", "BiGS.Native.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class GpuFactAttribute : FactAttribute;

/// <summary>
/// A theory whose data rows run on the device of the concrete class: a class with a <see cref="GpuTargetAttribute"/>
/// is skipped like <see cref="GpuFactAttribute"/>; a class without one runs on the CPU and is never skipped. Lets one
/// abstract test family be instantiated per backend.
/// </summary>
[XunitTestCaseDiscoverer("BiGS.Native.Tests.Gpu.GpuTheoryDiscoverer", "BiGS.Native.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class GpuTheoryAttribute : TheoryAttribute;

/// <summary>
/// Limits a <see cref="GpuTheoryAttribute"/> family on one class to the data rows made only of the given values (for a
/// slow device, a representative subset of the rows the other devices run).
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class DataRowsOfAttribute(params object[] values) : Attribute
{
    /// <summary>True when every element of <paramref name="row"/> is one of the values.</summary>
    public bool Admits(object[] row) => row.All(element => values.Contains(element));
}

/// <summary>Creates one <see cref="GpuTestCase"/> per data row (the rows here are all serializable).</summary>
public sealed class GpuTheoryDiscoverer(IMessageSink diagnostics) : TheoryDiscoverer(diagnostics)
{
    /// <inheritdoc />
    protected override IEnumerable<IXunitTestCase> CreateTestCasesForDataRow(ITestFrameworkDiscoveryOptions options,
        ITestMethod testMethod, IAttributeInfo theoryAttribute, object[] dataRow)
    {
        var filter = testMethod.TestClass.Class.ToRuntimeType().GetCustomAttributes(typeof(DataRowsOfAttribute), true)
            .Cast<DataRowsOfAttribute>().SingleOrDefault();
        if (filter is not null && !filter.Admits(dataRow)) return [];
        return [new GpuTestCase(DiagnosticMessageSink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), testMethod, dataRow)];
    }
}

/// <summary>Creates <see cref="GpuTestCase"/>s so the skip decision can see the concrete test class.</summary>
public sealed class GpuFactDiscoverer(IMessageSink diagnostics) : IXunitTestCaseDiscoverer
{
    /// <inheritdoc />
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions options, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        [new GpuTestCase(diagnostics, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), testMethod)];
}

/// <summary>A test case whose skip reason depends on the GPU backend its class targets.</summary>
public sealed class GpuTestCase : XunitTestCase
{
    /// <summary>For deserialization only.</summary>
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public GpuTestCase() { }

    /// <summary>Creates the test case.</summary>
    public GpuTestCase(IMessageSink diagnostics, TestMethodDisplay display, TestMethodDisplayOptions displayOptions,
        ITestMethod testMethod, object[]? arguments = null)
        : base(diagnostics, display, displayOptions, testMethod, arguments) { }

    /// <inheritdoc />
    protected override string? GetSkipReason(IAttributeInfo factAttribute) =>
        TestDevices.TargetOf(TestMethod.TestClass.Class.ToRuntimeType()) is { } kind ? GpuAvailability.SkipReason(kind) : null;
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
}
