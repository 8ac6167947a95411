using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace EventManager.Benchmarks.Redis;

/// <summary>A private redis-server on a free loopback port with persistence off, for the Redis benchmarks.</summary>
internal sealed class LocalRedis : IDisposable
{
    private readonly Process _process;

    private LocalRedis(int port, Process process)
    {
        Port = port;
        _process = process;
    }

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port},syncTimeout=10000";

    /// <param name="arguments">More redis-server arguments, such as cluster mode's.</param>
    public static LocalRedis Start(params string[] arguments)
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning" }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start; install Debian's redis-server package.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return new LocalRedis(port, process);
            }
            catch (SocketException) when (started.Elapsed < TimeSpan.FromSeconds(20) && !process.HasExited)
            {
                Thread.Sleep(20);
            }
        }
    }

    /// <summary>Runs redis-cli against this server and returns what it printed.</summary>
    public string Cli(params string[] arguments)
    {
        var start = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-p");
        start.ArgumentList.Add(Port.ToString(CultureInfo.InvariantCulture));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var cli = Process.Start(start) ?? throw new InvalidOperationException("redis-cli did not start; it comes with Debian's redis-tools.");
        var output = cli.StandardOutput.ReadToEnd();
        cli.WaitForExit();
        return cli.ExitCode == 0 ? output : throw new InvalidOperationException($"redis-cli {string.Join(' ', arguments)} failed: {cli.StandardError.ReadToEnd()}");
    }

    public void Dispose()
    {
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
    }
}
