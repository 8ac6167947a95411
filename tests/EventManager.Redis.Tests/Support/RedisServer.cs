using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EventManager.Redis.Tests.Support;

/// <summary>
/// A private redis-server on a free loopback port with persistence off, which a test can kill and start again on the same
/// port. Fails, never skips, when redis-server cannot be found or started: tests/run.sh installs it.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly string[] _arguments;
    private Process? _process;

    private RedisServer(int port, string[] arguments)
    {
        Port = port;
        _arguments = arguments;
    }

    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for this server with short timeouts, so outages show quickly.</summary>
    public string Configuration => $"127.0.0.1:{Port},connectTimeout=2000,syncTimeout=5000,connectRetry=1";

    public bool IsRunning => _process is { HasExited: false };

    /// <param name="arguments">More redis-server arguments, such as <c>--requirepass</c>.</param>
    public static async Task<RedisServer> StartAsync(params string[] arguments)
    {
        var server = new RedisServer(FreePort(), arguments);
        await server.RestartAsync();
        return server;
    }

    /// <summary>A port nothing listens on, for tests that need a server that is not there yet.</summary>
    public static RedisServer Unstarted() => new(FreePort(), []);

    public static string Executable()
    {
        foreach (var candidate in new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail("redis-server was not found. Run the tests with 'bash tests/run.sh', which installs Debian's redis-server package.");
        throw new UnreachableException();
    }

    public async Task RestartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("The server is already running.");
        }

        var start = new ProcessStartInfo(Executable())
        {
            ArgumentList = { "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no", "--loglevel", "warning" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in _arguments)
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await Eventually.Until(() => _process.HasExited || Ping(), $"redis-server answers PING on port {Port}", TimeSpan.FromSeconds(20));
        if (_process.HasExited)
        {
            Assert.Fail($"redis-server exited with code {_process.ExitCode} while starting on port {Port}.");
        }
    }

    /// <summary>Kills the server abruptly, as a crash would.</summary>
    public void Kill()
    {
        if (_process is null)
        {
            return;
        }

        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    /// <summary>Runs redis-cli against this server, an independent client for foreign publishers.</summary>
    public async Task<string> CliAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-p");
        start.ArgumentList.Add(Port.ToString(CultureInfo.InvariantCulture));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var cli = Process.Start(start) ?? throw new InvalidOperationException("redis-cli did not start.");
        var output = await cli.StandardOutput.ReadToEndAsync();
        await cli.WaitForExitAsync();
        Assert.That(cli.ExitCode, Is.Zero, $"redis-cli {string.Join(' ', arguments)} failed: {await cli.StandardError.ReadToEndAsync()}");
        return output.Trim();
    }

    /// <summary>
    /// Sends the commands through <c>redis-cli --pipe</c>, the mass-insertion mode, which writes them all without waiting
    /// for each reply: a foreign publisher at full speed. Returns redis-cli's summary, which counts errors and replies.
    /// </summary>
    public async Task<string> CliPipeAsync(IEnumerable<string[]> commands)
    {
        var start = new ProcessStartInfo("redis-cli") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-p");
        start.ArgumentList.Add(Port.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add("--pipe");
        using var cli = Process.Start(start) ?? throw new InvalidOperationException("redis-cli did not start.");
        var output = cli.StandardOutput.ReadToEndAsync();
        var input = cli.StandardInput.BaseStream;
        foreach (var command in commands)
        {
            var protocol = new StringBuilder().Append('*').Append(command.Length).Append("\r\n");
            foreach (var argument in command)
            {
                protocol.Append('$').Append(Encoding.UTF8.GetByteCount(argument)).Append("\r\n").Append(argument).Append("\r\n");
            }

            await input.WriteAsync(Encoding.UTF8.GetBytes(protocol.ToString()));
        }

        cli.StandardInput.Close();
        await cli.WaitForExitAsync();
        Assert.That(cli.ExitCode, Is.Zero, $"redis-cli --pipe failed: {await cli.StandardError.ReadToEndAsync()}");
        return (await output).Trim();
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private bool Ping()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            stream.Write("PING\r\n"u8);
            var buffer = new byte[16];
            var read = stream.Read(buffer);
            // A server with a password answers too, by refusing.
            var answer = Encoding.ASCII.GetString(buffer, 0, read);
            return answer.StartsWith("+PONG", StringComparison.Ordinal) || answer.StartsWith("-NOAUTH", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
