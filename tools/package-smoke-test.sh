#!/usr/bin/env bash
# Proves the NuGet packages are complete on their own, consumed the way README.md's Quick start says before they
# are published: `dotnet pack -c Release -o FEED` in the repository root, `dotnet nuget add source FEED`, then
# `dotnet add package BiGS.Native` and `dotnet tool install BiGS.Native.Cli`. Here FEED is a temporary folder and the
# source is added to a nuget.config beside the test project (not to this machine's own NuGet settings). Outside the
# repository it
#   1. creates a fresh console project (dotnet new console), adds BiGS.Native, builds it and runs a tiny model
#      forward, a save/load round trip and the built-in tokenizer;
#   2. installs the BiGS.Native.Cli .NET tool from the same feed and runs `bigs ssm-walkthrough`.
# Any error fails the script (exit code non-zero). Other packages (MathNet.Numerics) come from nuget.org, or from
# this machine's NuGet cache when it already holds them. Packages restore into a private folder, and the package
# restored is compared byte for byte with the one just packed, so a stale copy of BiGS.Native can never stand in.
#   tools/package-smoke-test.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="$(dotnet msbuild "$root/src/BiGS" -getProperty:Version)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
feed="$work/feed"
machine_cache="$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')"
mkdir -p "$machine_cache"
export NUGET_PACKAGES="$work/packages"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "== packing into $feed (README: dotnet pack -c Release -o ./nupkg)"
(cd "$root" && dotnet pack -c Release -o "$feed" --nologo -v quiet)
ls "$feed"

cat > "$work/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="machine-cache" value="$machine_cache" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
EOF
echo "== adding the feed as a package source (README: dotnet nuget add source ./nupkg --name bigs-local)"
dotnet nuget add source "$feed" --name bigs-local --configfile "$work/nuget.config" >/dev/null

echo "== a fresh console project using BiGS.Native $version"
cd "$work"
dotnet new console -o app --framework net10.0 >/dev/null
dotnet add app package BiGS.Native >/dev/null
cat > app/Program.cs <<'EOF'
using BiGS.Native.Autograd;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;
using BiGS.Native.Tokenization;

static void Require(bool condition, string what)
{
    if (!condition) throw new Exception("smoke test failed: " + what);
}

var tokenizer = BertTokenizer.BertBaseUncased();
var ids = tokenizer.Encode("hello world").InputIds;
Require(ids.SequenceEqual([101, 7592, 2088, 102]), $"tokenizer ids [{string.Join(", ", ids)}]");

var config = new BiGSConfig { VocabSize = 64, HiddenSize = 16, IntermediateSize = 32, NumHiddenLayers = 2, NumSsm = 8, MaxPositionEmbeddings = 32 };
var model = new BiGSForMaskedLM(config, seed: 7);
model.Eval();
var input = new BiGSInput(Tensor.FromInts([1, 5, 9, 2, 7, 3], 2, 3));
float[] logits;
using (GradMode.NoGrad())
{
    var output = model.Forward(input).Logits!.Value;
    Require(output.ShapeArray().SequenceEqual([2, 3, 64]), $"logits shape ({string.Join(", ", output.ShapeArray())})");
    logits = output.ToArray();
}
Require(logits.All(float.IsFinite) && logits.Any(v => v != 0f), "logits are finite and not all zero");

string directory = Path.Combine(Path.GetTempPath(), "bigs-smoke-" + Guid.NewGuid().ToString("N"));
try
{
    model.SavePretrained(directory);
    var reloaded = BiGSForMaskedLM.FromPretrained(directory);
    using (GradMode.NoGrad())
        Require(reloaded.Forward(input).Logits!.Value.ToArray().SequenceEqual(logits), "save/load round trip gives the same logits");
}
finally
{
    Directory.Delete(directory, recursive: true);
}
Console.WriteLine($"ok: BiGS.Native from the local feed, {model.ParameterCount()} parameters, logits (2, 3, 64)");
EOF
dotnet build app -c Release --nologo -v quiet
# The package restored is byte for byte the one just packed.
cmp "$feed/BiGS.Native.$version.nupkg" "$NUGET_PACKAGES/bigs.native/$version/bigs.native.$version.nupkg"
dotnet run --project app -c Release --no-build
# A CPU-only user does not pay for the GPU devices: BiGS.Native brings neither BiGS.Native.Gpu nor ILGPU.
if grep -qi -e '"ILGPU/' -e '"BiGS.Native.Gpu/' app/obj/project.assets.json; then
    echo "smoke test failed: BiGS.Native pulled in the GPU packages" >&2
    exit 1
fi

echo "== the bigs .NET tool from the same feed"
dotnet tool install BiGS.Native.Cli --tool-path "$work/tool" >/dev/null
"$work/tool/bigs" ssm-walkthrough --length 64 --out "$work/kernel.svg" | tail -n 2
test -s "$work/kernel.svg"
# The tool carries the GPU devices: its device list names them (ILGPU's CPU accelerator needs no driver).
"$work/tool/bigs" forward --help | grep -q "ilgpu-cpu"
echo "package smoke test passed"
