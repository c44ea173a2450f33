using System.Text.RegularExpressions;
using BiGS.Native.Modeling;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace BiGS.Native.Tests.Docs;

/// <summary>
/// Every C# block of the repository README and of the NuGet package README compiles, as the whole Program.cs of
/// a fresh console project (top-level statements, the SDK's implicit usings) referencing BiGS.Native.
/// </summary>
public class ReadmeQuickStartTests
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

    private static readonly Regex CSharpBlock = new(@"^```csharp\r?\n(?<code>.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline);

    private static readonly Lazy<MetadataReference[]> References = new(LoadReferences);

    public static TheoryData<string> Readmes() => new() { "README.md", "src/PACKAGE.md" };

    [Theory]
    [MemberData(nameof(Readmes))]
    public void Every_csharp_block_compiles(string readme)
    {
        var blocks = CSharpBlocks(File.ReadAllText(Path.Combine(RepositoryRoot(), readme)));
        Assert.NotEmpty(blocks);
        for (int i = 0; i < blocks.Count; i++)
        {
            var errors = Compile(blocks[i]).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            Assert.True(errors.Count == 0,
                $"{readme}, C# block {i + 1} does not compile:\n{string.Join("\n", errors)}\n--- block ---\n{blocks[i]}");
        }
    }

    [Fact]
    public void A_broken_block_is_caught()
    {
        var diagnostics = Compile("using BiGS.Native.Modeling;\nvar model = BiGSForMaskedLM.FromPretrained(42);\n");
        Assert.Contains(diagnostics, d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void The_readme_fill_mask_block_is_the_package_readme_one()
    {
        string root = RepositoryRoot();
        var readme = CSharpBlocks(File.ReadAllText(Path.Combine(root, "README.md")));
        var package = CSharpBlocks(File.ReadAllText(Path.Combine(root, "src", "PACKAGE.md")));
        Assert.Equal(readme[0], package[0]);
    }

    private static List<string> CSharpBlocks(string markdown) =>
        CSharpBlock.Matches(markdown).Select(m => m.Groups["code"].Value).ToList();

    private static IReadOnlyList<Diagnostic> Compile(string program)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create("QuickStart",
            [CSharpSyntaxTree.ParseText(program, parse, "Program.cs"), CSharpSyntaxTree.ParseText(ImplicitUsings, parse, "GlobalUsings.cs")],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        return compilation.Emit(image).Diagnostics;
    }

    /// <summary>The shared framework this test runs on, plus the BiGS.Native assemblies (as a package would bring).</summary>
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
        }.Select(a => a.Location);
        return framework.Concat(ours).Select(path => (MetadataReference)MetadataReference.CreateFromFile(path)).ToArray();
    }

    private static bool IsManagedAssembly(string path)
    {
        try
        {
            System.Reflection.AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }

    /// <summary>The repository root: the nearest folder above the test binaries holding BiGS.Native.sln.</summary>
    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory != null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "BiGS.Native.sln")))
                return directory.FullName;
        throw new DirectoryNotFoundException($"no BiGS.Native.sln above {AppContext.BaseDirectory}");
    }
}
