using System.Text.RegularExpressions;
using EventManager.AspNetCore.Tests.Support;

namespace EventManager.AspNetCore.Tests;

/// <summary>
/// eventmanager.d.ts, checked with npm's typescript (<c>tsc --strict</c>): an application's use compiles, mistakes do not,
/// and it declares exactly the public methods eventmanager.js has.
/// </summary>
[TestFixture]
public sealed partial class TypeScriptDeclarationTests
{
    private const string Tsc = "node_modules/typescript/bin/tsc";

    [Test]
    public async Task Declarations_UsedAsAnApplicationWould_TypeCheck()
    {
        await using var tsc = NodeProcess.Start(Tsc, "-p", "typecheck/tsconfig.json");

        var exitCode = await tsc.ExitCodeAsync();

        Assert.That(exitCode, Is.Zero, string.Join('\n', tsc.Output));
    }

    [Test]
    public async Task Declarations_Misused_AreRejectedOnEveryMarkedLine()
    {
        await using var tsc = NodeProcess.Start(Tsc, "-p", "typecheck/tsconfig.misuse.json");

        var exitCode = await tsc.ExitCodeAsync();
        var lines = tsc.Output.Select(l => ErrorLine().Match(l)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Not.Zero);
            Assert.That(lines, Is.EquivalentTo(new[] { 5, 6, 8, 9, 10 }), string.Join('\n', tsc.Output));
        });
    }

    [Test]
    public async Task Declarations_NameEveryPublicMethodOfTheScript()
    {
        var script = Path.GetFullPath(Path.Combine(SourceFolder(), "eventmanager.js"));
        await using var node = NodeProcess.Start("-e", $"const C = require({System.Text.Json.JsonSerializer.Serialize(script)}); console.log(Object.getOwnPropertyNames(C.prototype).filter(n => n !== 'constructor' && !n.startsWith('_')).sort().join(','));");
        var line = await node.WaitForLineAsync(l => l.Length > 0, "with the script's methods");
        var declarations = await File.ReadAllTextAsync(Path.Combine(SourceFolder(), "eventmanager.d.ts"));
        var classBody = declarations[declarations.IndexOf("declare class EventManagerClient {", StringComparison.Ordinal)..declarations.IndexOf("declare namespace", StringComparison.Ordinal)];
        var declared = DeclaredMethod().Matches(classBody).Select(m => m.Groups[1].Value).Where(n => n != "constructor").Order(StringComparer.Ordinal);

        Assert.That(string.Join(',', declared), Is.EqualTo(line));
    }

    private static string SourceFolder()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "EventManager.sln")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory?.FullName ?? throw new InvalidOperationException("The repository root was not found."), "src", "EventManager.AspNetCore", "Client");
    }

    [GeneratedRegex(@"misuse\.ts\((\d+),\d+\): error")]
    private static partial Regex ErrorLine();

    [GeneratedRegex(@"^  (\w+)\(", RegexOptions.Multiline)]
    private static partial Regex DeclaredMethod();
}
