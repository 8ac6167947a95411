using System.Reflection;

namespace EventManager.Tests;

/// <summary>README.md's quick start is samples/QuickStart/Program.cs: the same text, and it runs as described.</summary>
[NonParallelizable]
public class QuickStartTests
{
    [Test]
    public void Readme_QuickStartBlock_IsTheSampleProgram()
    {
        var root = RepositoryRoot();
        var readme = File.ReadAllText(Path.Combine(root, "README.md")).ReplaceLineEndings("\n");
        var program = File.ReadAllText(Path.Combine(root, "samples", "QuickStart", "Program.cs")).ReplaceLineEndings("\n");
        var start = readme.IndexOf("## Quick start", StringComparison.Ordinal);
        var codeStart = readme.IndexOf("```csharp\n", start, StringComparison.Ordinal) + "```csharp\n".Length;
        var codeEnd = readme.IndexOf("```\n", codeStart, StringComparison.Ordinal);

        Assert.That(readme[codeStart..codeEnd], Is.EqualTo(program));
    }

    [Test]
    public void QuickStart_RunAsWritten_PrintsEveryEventThenTheMetricsWithNothingDropped()
    {
        var entryPoint = Assembly.Load("QuickStart").EntryPoint!;
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(TextWriter.Synchronized(output));
        try
        {
            var run = Task.Run(() => entryPoint.Invoke(null, [Array.Empty<string>()]));
            Assert.That(run.Wait(TimeSpan.FromSeconds(30)), Is.True, "the quick start finishes");
        }
        finally
        {
            Console.SetOut(original);
        }

        var lines = output.ToString().ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines.Count(l => l.StartsWith("{\"event_type\":", StringComparison.Ordinal)), Is.EqualTo(4), "the printer printed all four events");
        Assert.That(lines, Has.One.EqualTo("agent event #1"), "the agent listener saw the agent message");
        // The agent listener runs on its own loop, so its line may come before or after the metrics.
        var metrics = lines.Single(l => l.StartsWith("EventManagerMetrics {", StringComparison.Ordinal));
        Assert.That(metrics, Does.StartWith("EventManagerMetrics { Published = 4, Dispatched = 4,"));
        Assert.That(metrics, Does.Contain("Dropped = 0"));
        Assert.That(metrics, Does.Contain("Listeners = [ListenerMetrics { Id = 2,"), "the printer was removed, the agent listener remains");
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "EventManager.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("The repository root (with EventManager.sln) was not found above the test directory.");
    }
}
