using System.Diagnostics;
using System.Text.RegularExpressions;
using BiGS.Native.Gpu;

namespace BiGS.Native.Bench;

/// <summary>
/// The kernels of <see cref="KernelPtxCounts"/> through NVIDIA's assembler for a target (default sm_90, the H200's):
/// registers per thread, stack frame and spills as <c>ptxas -v</c> reports them, and counts of SASS instructions from
/// <c>cuobjdump -sass</c> (all, tensor-core HMMA, shared loads and stores, local stores and loads, indirect branches),
/// and the kernel's inner loop as it runs: the basic block holding the most multiply-adds, its instructions and
/// multiply-adds, and how many multiply-adds the loop's global loads lead their shared stores by (<see cref="SassMathBlock"/>). Needs <c>ptxas</c> and <c>cuobjdump</c> on PATH (Debian: <c>nvidia-cuda-toolkit</c> in non-free), no GPU. A ptxas
/// older than the PTX ILGPU writes (ISA 8.0) gets the PTX with its version line lowered to what it names in its
/// error, which it then accepts where the kernel uses nothing newer. Usage: <c>kernel-sass [--arch sm_90] [--only TEXT]
/// [--keep DIR]</c>: <c>--only</c> takes the kernels whose name contains TEXT; <c>--keep</c> writes each kernel's PTX and
/// SASS listing to DIR (named as in the table, with <c>.ptx</c> and <c>.sass</c>), to read its loops.
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
        string arch = CommandLineOptions.Value(args, "--arch") ?? "sm_90", only = CommandLineOptions.Value(args, "--only") ?? "";
        string? keep = CommandLineOptions.Value(args, "--keep");
        if (MissingTool() is { } missing)
        {
            Console.Error.WriteLine($"{missing} is not on PATH: kernel-sass needs NVIDIA's ptxas and cuobjdump. " +
                "Debian has them in nvidia-cuda-toolkit, from its non-free component (no GPU needed)");
            return 1;
        }
        string directory = Directory.CreateTempSubdirectory("bigs-sass-").FullName;
        try
        {
            Console.WriteLine($"ptxas {ToolVersion()}, -arch={arch}");
            Console.WriteLine($"{"kernel",-64} {"registers",9} {"stack B",8} {"spill B",8} {string.Join(" ", Counts.Select(c => $"{c.Label,8}"))} {"math block",10} {"FFMA/HMMA",9} {"LD lead",8}");
            if (keep is not null) Directory.CreateDirectory(keep);
            foreach (var kernel in KernelPtxCounts.Kernels().Where(k => KernelPtxCounts.KernelName(k).Contains(only, StringComparison.OrdinalIgnoreCase)))
            {
                string ptxPath = Path.Combine(directory, "kernel.ptx"), cubin = Path.Combine(directory, "kernel.cubin");
                File.WriteAllText(ptxPath, KernelPtx.Compile(kernel));
                string report = Assemble(ptxPath, cubin, arch);
                string sass = Tool("cuobjdump", $"-sass {cubin}");
                if (keep is not null) Keep(keep, KernelPtxCounts.KernelName(kernel), ptxPath, sass);
                int Reported(string pattern) => Regex.Match(report, pattern) is { Success: true } m ? int.Parse(m.Groups[1].Value) : -1;
                int spills = Reported(@"(\d+) bytes spill stores") + Reported(@"(\d+) bytes spill loads");
                var mathBlock = SassMathBlock.Of(sass);
                Console.WriteLine($"{KernelPtxCounts.KernelName(kernel),-64} {Reported(@"Used (\d+) registers"),9} {Reported(@"(\d+) bytes stack frame"),8} {spills,8} " +
                    string.Join(" ", Counts.Select(c => $"{Regex.Matches(sass, c.Pattern, RegexOptions.Multiline).Count,8}")) +
                    $" {mathBlock.Instructions,10} {mathBlock.MultiplyAdds,9} {mathBlock.LoadLead?.ToString() ?? "-",8}");
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

    /// <summary>Writes a kernel's PTX (as assembled) and SASS to <paramref name="directory"/>, named after the kernel.</summary>
    private static void Keep(string directory, string kernelName, string ptxPath, string sass)
    {
        string name = Path.Combine(directory, Regex.Replace(kernelName, "[^A-Za-z0-9.,_-]", "_"));
        File.Copy(ptxPath, name + ".ptx", overwrite: true);
        File.WriteAllText(name + ".sass", sass);
    }

    private static string? MissingTool() =>
        new[] { "ptxas", "cuobjdump" }.FirstOrDefault(tool => !(Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator).Any(directory => File.Exists(Path.Combine(directory, tool))));

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

/// <summary>
/// The basic block of a SASS listing that holds the most multiply-adds (FFMA, HMMA): in a GEMM, a stage's steps of the
/// k loop. Its instructions against its multiply-adds are the share of the issue rate (one instruction a cycle per
/// scheduler) that the arithmetic gets. A block starts at every branch target and after every branch, barrier, exit or
/// convergence instruction. <see cref="LoadLead"/> looks at the innermost loop around the block (a backward branch
/// and its target): the multiply-adds from its first global load (LD, LDG) to the next shared store (STS), around the
/// loop's back edge if need be. In a double-buffered GEMM that is the work the next stage's loads are in flight during
/// before the staging stores them; 0 when they are stored straight after, and each step then waits for its loads in
/// full (bench/compare/README.md, entry 25); null when the loop loads nothing from global memory.
/// </summary>
internal readonly record struct SassMathBlock(int Instructions, int MultiplyAdds, int? LoadLead)
{
    private static readonly Regex Instruction = new(@"^\s+/\*([0-9a-f]{4,})\*/\s+(.*?)\s*;", RegexOptions.Multiline);
    private static readonly Regex BranchTarget = new(@"\bBRA\s+0x([0-9a-f]+)");
    private static readonly Regex EndsBlock = new(@"\b(BRA|BRX|BAR|EXIT|RET|CALL|BSSY|BSYNC|WARPSYNC)\b");
    private static readonly Regex MultiplyAdd = new(@"^(@!?U?P\w+\s+)?(FFMA|HMMA)(?!\.R[MPZ])\b");
    private static readonly Regex GlobalLoad = new(@"^(@!?U?P\w+\s+)?LDG?\.");
    private static readonly Regex SharedStore = new(@"^(@!?U?P\w+\s+)?STS\b");

    public static SassMathBlock Of(string sass)
    {
        var texts = Instruction.Matches(sass).Select(m => m.Groups[2].Value).ToList();
        var index = Instruction.Matches(sass).Select((m, i) => (Address: Convert.ToInt64(m.Groups[1].Value, 16), i)).ToDictionary(p => p.Address, p => p.i);
        var branches = Enumerable.Range(0, texts.Count)
            .Select(i => (From: i, Target: BranchTarget.Match(texts[i]) is { Success: true } m && index.TryGetValue(Convert.ToInt64(m.Groups[1].Value, 16), out int at) ? at : -1))
            .Where(branch => branch.Target >= 0).ToList();
        var starts = new SortedSet<int> { 0, texts.Count };
        foreach (var branch in branches) starts.Add(branch.Target);
        for (int i = 0; i < texts.Count; i++)
            if (EndsBlock.IsMatch(texts[i])) starts.Add(i + 1);
        var bounds = starts.ToArray();
        var (begin, end) = Enumerable.Range(0, bounds.Length - 1).Select(b => (Begin: bounds[b], End: bounds[b + 1]))
            .MaxBy(block => CountMultiplyAdds(texts, block.Begin, block.End));
        var loop = branches.Where(branch => branch.Target <= begin && branch.From >= end - 1).OrderBy(branch => branch.From - branch.Target)
            .Select(branch => (Begin: branch.Target, End: branch.From + 1)).FirstOrDefault();
        return new SassMathBlock(end - begin, CountMultiplyAdds(texts, begin, end), loop.End == 0 ? null : LeadOfLoads(texts.GetRange(loop.Begin, loop.End - loop.Begin)));
    }

    /// <summary>
    /// The multiply-adds of <paramref name="loop"/> from its first global load to the next shared store, wrapping around;
    /// null without global loads.
    /// </summary>
    private static int? LeadOfLoads(List<string> loop)
    {
        int firstLoad = loop.FindIndex(text => GlobalLoad.IsMatch(text));
        if (firstLoad < 0) return null;
        var following = loop.Skip(firstLoad + 1).Concat(loop.Take(firstLoad));
        return following.TakeWhile(text => !SharedStore.IsMatch(text)).Count(text => MultiplyAdd.IsMatch(text));
    }

    private static int CountMultiplyAdds(List<string> texts, int begin, int end) => texts.Skip(begin).Take(end - begin).Count(text => MultiplyAdd.IsMatch(text));
}
