using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace BiGS.Native.Tests.Docs;

/// <summary>
/// Every C# block of the repository README and of the NuGet package README compiles, as the whole Program.cs of
/// a fresh console project referencing BiGS.Native (<see cref="ConsoleProgram"/>).
/// </summary>
public class ReadmeQuickStartTests
{
    private static readonly Regex CSharpBlock = new(@"^```csharp\r?\n(?<code>.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline);

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

    private static IReadOnlyList<Diagnostic> Compile(string program) => ConsoleProgram.Compile(program);

    private static string RepositoryRoot() => ConsoleProgram.RepositoryRoot();
}
