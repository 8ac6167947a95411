using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace EventManager.Redis.Tests.Support;

/// <summary>
/// A loopback TCP proxy in front of a real redis-server that can hold what the server sends back: commands reach the server at
/// once, but replies (and pub/sub messages) wait at the proxy until released, as when the client's reads are slow.
/// </summary>
internal sealed class ReplyHoldingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _serverPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private TaskCompletionSource _open = Opened();
    private Task _accepting = Task.CompletedTask;

    private ReplyHoldingProxy(int serverPort) => _serverPort = serverPort;

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>A StackExchange.Redis configuration string for the server through this proxy, with short timeouts.</summary>
    public string Configuration => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)},connectTimeout=2000,syncTimeout=5000,connectRetry=1";

    public static ReplyHoldingProxy Start(int serverPort)
    {
        var proxy = new ReplyHoldingProxy(serverPort);
        proxy._listener.Start();
        proxy._accepting = proxy.AcceptAsync();
        return proxy;
    }

    /// <summary>From now on, what the server sends waits at the proxy.</summary>
    public void HoldReplies() => Volatile.Write(ref _open, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Sends on what was held, and everything after it at once.</summary>
    public void ReleaseReplies() => Volatile.Read(ref _open).TrySetResult();

    public async ValueTask DisposeAsync()
    {
        ReleaseReplies();
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (_pumps)
        {
            _pumps.Add(Task.CompletedTask);
        }

        await Task.WhenAll(_pumps.ToArray()).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            var server = new TcpClient();
            await server.ConnectAsync(IPAddress.Loopback, _serverPort, _stop.Token);
            lock (_pumps)
            {
                _pumps.Add(PumpAsync(client, server));
            }
        }
    }

    private async Task PumpAsync(TcpClient client, TcpClient server)
    {
        using (client)
        using (server)
        {
            var toServer = client.GetStream().CopyToAsync(server.GetStream(), _stop.Token);
            var toClient = HeldCopyAsync(server.GetStream(), client.GetStream());
            await ((Task)Task.WhenAny(toServer, toClient)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task HeldCopyAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            await Volatile.Read(ref _open).Task.WaitAsync(_stop.Token);
            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
        }
    }
}
