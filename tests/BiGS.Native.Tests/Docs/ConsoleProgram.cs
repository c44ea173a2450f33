using System.Reflection;
using BiGS.Native.Modeling;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace BiGS.Native.Tests.Docs;

/// <summary>
/// Compiles C# text as the whole Program.cs of a fresh console project (top-level statements, the SDK's implicit
/// usings) that references the BiGS.Native packages, and runs it: how README blocks and samples are checked.
/// </summary>
internal static class ConsoleProgram
{
    /// <summary>The global usings `dotnet new console` projects get (ImplicitUsings for Microsoft.NET.Sdk).</summary>
    private const string ImplicitUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    private static readonly Lazy<MetadataReference[]> References = new(LoadReferences);

    /// <summary>Every diagnostic of compiling <paramref name="program"/>.</summary>
    public static IReadOnlyList<Diagnostic> Compile(string program) => Emit(program, new MemoryStream());

    /// <summary>Compiles <paramref name="program"/> and runs its entry point with <paramref name="args"/>; fails on a compile error.</summary>
    public static void Run(string program, params string[] args)
    {
        using var image = new MemoryStream();
        var errors = Emit(program, image).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, $"the program does not compile:\n{string.Join("\n", errors)}");
        var entryPoint = Assembly.Load(image.ToArray()).EntryPoint!;
        try
        {
            entryPoint.Invoke(null, [args]);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
        }
    }

    /// <summary>The repository root: the nearest folder above the test binaries holding BiGS.Native.sln.</summary>
    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory != null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "BiGS.Native.sln")))
                return directory.FullName;
        throw new DirectoryNotFoundException($"no BiGS.Native.sln above {AppContext.BaseDirectory}");
    }

    private static IReadOnlyList<Diagnostic> Emit(string program, Stream image)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create("ConsoleProgram",
            [CSharpSyntaxTree.ParseText(program, parse, "Program.cs"), CSharpSyntaxTree.ParseText(ImplicitUsings, parse, "GlobalUsings.cs")],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        return compilation.Emit(image).Diagnostics;
    }

    /// <summary>The shared framework this test runs on, plus the assemblies the BiGS.Native package brings.</summary>
    private static MetadataReference[] LoadReferences()
    {
        string frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var framework = Directory.GetFiles(frameworkDirectory, "*.dll").Where(IsManagedAssembly);
        var ours = new[]
        {
            typeof(BiGSForMaskedLM).Assembly,                 // BiGS.Native
            typeof(BiGS.Native.Autograd.Variable).Assembly,   // BiGS.Native.Autograd
            typeof(BiGS.Native.Tensors.Tensor).Assembly,      // BiGS.Native.Tensors
            typeof(BiGS.Native.Kernels.Cpu.Gemm).Assembly,    // BiGS.Native.Kernels
            typeof(Microsoft.ML.Tokenizers.Tokenizer).Assembly, // Microsoft.ML.Tokenizers, a dependency of BiGS.Native
        }.Select(a => a.Location);
        return framework.Concat(ours).Select(path => (MetadataReference)MetadataReference.CreateFromFile(path)).ToArray();
    }

    private static bool IsManagedAssembly(string path)
    {
        try
        {
            AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}
