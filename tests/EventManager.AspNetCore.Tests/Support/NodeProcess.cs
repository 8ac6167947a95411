using System.Diagnostics;
using System.Threading.Channels;

namespace EventManager.AspNetCore.Tests.Support;

/// <summary>Runs a script from the test project's node folder (its packages installed by tests/install-dependencies.sh) and reads its output lines.</summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();

    private NodeProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.Writer.TryComplete();
            }
            else
            {
                Output.Add(e.Data);
                _lines.Writer.TryWrite(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Output.Add("stderr: " + e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public List<string> Output { get; } = [];

    public static NodeProcess Start(string script, params string[] arguments)
    {
        var folder = Folder();
        if (!Directory.Exists(Path.Combine(folder, "node_modules")))
        {
            Assert.Fail($"{folder}/node_modules is missing. Run the tests with 'bash tests/run.sh', which runs npm ci there.");
        }

        var start = new ProcessStartInfo("node") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            return new NodeProcess(Process.Start(start)!);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail("node could not be started (" + ex.Message + "). tests/install-dependencies.sh installs Node.js.");
            throw;
        }
    }

    public async Task<string> WaitForLineAsync(Func<string, bool> match, string because)
    {
        using var cts = new CancellationTokenSource(Eventually.DefaultTimeout);
        try
        {
            while (true)
            {
                var line = await _lines.Reader.ReadAsync(cts.Token);
                if (match(line))
                {
                    return line;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            Assert.Fail($"Node never printed a line {because}. Output:\n{string.Join('\n', Output)}");
            throw;
        }
    }

    public async Task<int> ExitCodeAsync()
    {
        await _process.WaitForExitAsync().WaitAsync(Eventually.DefaultTimeout);
        return _process.ExitCode;
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private static string Folder()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "EventManager.AspNetCore.Tests.csproj")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory?.FullName ?? throw new InvalidOperationException("The test project folder was not found."), "node");
    }
}
