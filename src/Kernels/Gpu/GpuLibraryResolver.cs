using System.Reflection;
using System.Runtime.InteropServices;

namespace BiGS.Native.Kernels.Gpu;

/// <summary>
/// Maps the logical driver library names used in [DllImport] ("OpenCL", "cuda") to the files each OS ships
/// (libOpenCL.so.1 / OpenCL.dll, libcuda.so.1 / nvcuda.dll). One resolver serves the whole assembly.
/// </summary>
internal static class GpuLibraryResolver
{
    public const string OpenCL = "OpenCL";
    public const string Cuda = "cuda";

    private static readonly Dictionary<string, string[]> Candidates = new()
    {
        [OpenCL] = ["libOpenCL.so.1", "libOpenCL.so", "OpenCL.dll", "/System/Library/Frameworks/OpenCL.framework/OpenCL"],
        [Cuda] = ["libcuda.so.1", "libcuda.so", "nvcuda.dll"],
    };
    private static readonly object Gate = new();
    private static bool registered;

    /// <summary>Installs the resolver once.</summary>
    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (registered) return;
            NativeLibrary.SetDllImportResolver(typeof(GpuLibraryResolver).Assembly, Resolve);
            registered = true;
        }
    }

    /// <summary>True when the driver library for <paramref name="name"/> can be loaded.</summary>
    public static bool IsAvailable(string name)
    {
        nint handle = Load(name);
        return handle != 0;
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path) => Load(name);

    private static nint Load(string name)
    {
        if (!Candidates.TryGetValue(name, out var files)) return 0;
        foreach (var file in files)
            if (NativeLibrary.TryLoad(file, out nint handle)) return handle;
        return 0;
    }
}
