using System.Text;
using static BiGS.Native.Kernels.Gpu.OpenCL.OpenClNative;

namespace BiGS.Native.Kernels.Gpu.OpenCL;

/// <summary>An OpenCL device found on the machine: its platform, handle and names.</summary>
/// <param name="Platform">The platform handle.</param>
/// <param name="Handle">The device handle.</param>
/// <param name="PlatformName">Platform name (e.g. "Portable Computing Language").</param>
/// <param name="Name">Device name.</param>
public sealed record OpenClDeviceInfo(nint Platform, nint Handle, string PlatformName, string Name);

/// <summary>Discovers OpenCL platforms and devices; devices are numbered across all platforms in driver order.</summary>
public static unsafe class OpenClPlatforms
{
    private const int PlatformNotFound = -1001;
    private const int DeviceNotFound = -1;

    /// <summary>True when an OpenCL driver library can be loaded.</summary>
    public static bool IsDriverPresent
    {
        get
        {
            GpuLibraryResolver.EnsureRegistered();
            return GpuLibraryResolver.IsAvailable(GpuLibraryResolver.OpenCL);
        }
    }

    /// <summary>Every device of every platform (empty when there is no driver or no platform).</summary>
    public static IReadOnlyList<OpenClDeviceInfo> Devices()
    {
        if (!IsDriverPresent) return [];
        uint platformCount;
        int status = clGetPlatformIDs(0, null, &platformCount);
        if (status == PlatformNotFound || platformCount == 0) return [];
        OpenClException.Check(status, "clGetPlatformIDs");
        var platforms = new nint[platformCount];
        fixed (nint* p = platforms) OpenClException.Check(clGetPlatformIDs(platformCount, p, null), "clGetPlatformIDs");

        var found = new List<OpenClDeviceInfo>();
        foreach (var platform in platforms)
        {
            string platformName = PlatformString(platform, OpenClNative.PlatformName);
            uint deviceCount;
            status = clGetDeviceIDs(platform, DeviceTypeAll, 0, null, &deviceCount);
            if (status == DeviceNotFound || deviceCount == 0) continue;
            OpenClException.Check(status, "clGetDeviceIDs");
            var devices = new nint[deviceCount];
            fixed (nint* d = devices) OpenClException.Check(clGetDeviceIDs(platform, DeviceTypeAll, deviceCount, d, null), "clGetDeviceIDs");
            foreach (var device in devices)
                found.Add(new OpenClDeviceInfo(platform, device, platformName, DeviceString(device, OpenClNative.DeviceName)));
        }
        return found;
    }

    internal static string DeviceString(nint device, uint param) =>
        QueryString((size, value, returned) => clGetDeviceInfo(device, param, size, (void*)value, (nuint*)returned), "clGetDeviceInfo");

    private static string PlatformString(nint platform, uint param) =>
        QueryString((size, value, returned) => clGetPlatformInfo(platform, param, size, (void*)value, (nuint*)returned), "clGetPlatformInfo");

    /// <summary>The two-call pattern of clGet*Info for strings: ask the size, then the bytes.</summary>
    private static string QueryString(Func<nuint, nint, nint, int> query, string call)
    {
        nuint size;
        OpenClException.Check(query(0, 0, (nint)(&size)), call);
        var bytes = new byte[(int)size];
        fixed (byte* b = bytes) OpenClException.Check(query(size, (nint)b, 0), call);
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0').Trim();
    }
}
