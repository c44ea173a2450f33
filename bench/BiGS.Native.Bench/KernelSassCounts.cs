using System.Diagnostics;
using System.Text.RegularExpressions;
using BiGS.Native.Gpu;

namespace BiGS.Native.Bench;

/// <summary>
/// The kernels of <see cref="KernelPtxCounts"/> through NVIDIA's assembler for a target (default sm_90, the H200's):
/// registers per thread, stack frame and spills as <c>ptxas -v</c> reports them, and counts of SASS instructions from
/// <c>cuobjdump -sass</c> (all, tensor-core HMMA, shared loads and stores, local stores and loads, indirect branches).
/// Needs <c>ptxas</c> and <c>cuobjdump</c> on PATH (Debian: <c>nvidia-cuda-toolkit</c> in non-free), no GPU. A ptxas
/// older than the PTX ILGPU writes (ISA 8.0) gets the PTX with its version line lowered to what it names in its
/// error, which it then accepts where the kernel uses nothing newer. Usage: <c>kernel-sass [--arch sm_90]</c>.
/// </summary>
public sealed class KernelSassCounts : ISideBySide
{
    private static readonly (string Label, string Pattern)[] Counts =
    [
        ("SASS", @"^\s+/\*[0-9a-f]{4,}\*/"), ("HMMA", @"\bHMMA\b"), ("LDS", @"\bLDS(\.\S+)?\s"), ("STS", @"\bSTS(\.\S+)?\s"),
        ("LDL/STL", @"\b(LDL|STL)(\.\S+)?\s"), ("BRX", @"\bBRX\b"),
    ];

    /// <inheritdoc />
    public string Name => "kernel-sass";

    /// <inheritdoc />
    public string Description => "the hot GPU kernels through ptxas (on PATH; no GPU needed): registers, stack, spills, SASS counts";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        string arch = args.SkipWhile(a => a != "--arch").Skip(1).FirstOrDefault() ?? "sm_90";
        string directory = Directory.CreateTempSubdirectory("bigs-sass-").FullName;
        try
        {
            Console.WriteLine($"ptxas {ToolVersion()}, -arch={arch}");
            Console.WriteLine($"{"kernel",-54} {"registers",9} {"stack B",8} {"spill B",8} {string.Join(" ", Counts.Select(c => $"{c.Label,8}"))}");
            foreach (var kernel in KernelPtxCounts.Kernels())
            {
                string ptxPath = Path.Combine(directory, "kernel.ptx"), cubin = Path.Combine(directory, "kernel.cubin");
                File.WriteAllText(ptxPath, KernelPtx.Compile(kernel));
                string report = Assemble(ptxPath, cubin, arch);
                string sass = Tool("cuobjdump", $"-sass {cubin}");
                int Reported(string pattern) => Regex.Match(report, pattern) is { Success: true } m ? int.Parse(m.Groups[1].Value) : -1;
                int spills = Reported(@"(\d+) bytes spill stores") + Reported(@"(\d+) bytes spill loads");
                Console.WriteLine($"{KernelPtxCounts.KernelName(kernel),-54} {Reported(@"Used (\d+) registers"),9} {Reported(@"(\d+) bytes stack frame"),8} {spills,8} " +
                    string.Join(" ", Counts.Select(c => $"{Regex.Matches(sass, c.Pattern, RegexOptions.Multiline).Count,8}")));
            }
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Runs <c>ptxas -v</c> and returns its report; when it rejects the PTX's ISA version, lowers the version line to
    /// the newest it names and runs it again.
    /// </summary>
    private static string Assemble(string ptxPath, string cubin, string arch)
    {
        var (code, output) = RunTool("ptxas", $"-arch={arch} -v {ptxPath} -o {cubin}");
        var supported = Regex.Match(output, @"current version is '(\d+\.\d+)'");
        if (code != 0 && supported.Success)
        {
            File.WriteAllText(ptxPath, Regex.Replace(File.ReadAllText(ptxPath), @"^\.version \d+\.\d+", $".version {supported.Groups[1].Value}", RegexOptions.Multiline));
            (code, output) = RunTool("ptxas", $"-arch={arch} -v {ptxPath} -o {cubin}");
        }
        if (code != 0) throw new InvalidOperationException($"ptxas failed on {ptxPath}: {output}");
        return output;
    }

    private static string ToolVersion() => Regex.Match(Tool("ptxas", "--version"), @"release [\d.]+, V[\d.]+").Value;

    private static string Tool(string name, string arguments)
    {
        var (code, output) = RunTool(name, arguments);
        return code == 0 ? output : throw new InvalidOperationException($"{name} {arguments} failed: {output}");
    }

    private static (int Code, string Output) RunTool(string name, string arguments)
    {
        var start = new ProcessStartInfo(name, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start (is it on PATH?)");
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }
}
