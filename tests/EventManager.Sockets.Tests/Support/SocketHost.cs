using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using EventManager.Sockets;

namespace EventManager.Tests.Support;

/// <summary>
/// A manager and a broadcaster serving clients over real loopback TCP connections, with no web server: each WebSocket client
/// is one end of a TCP pair made a WebSocket with <see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>,
/// each SSE client reads the other end of the stream the broadcaster writes to. What an endpoint adds (query parsing,
/// upgrades, authentication) is tested with the endpoints, in EventManager.AspNetCore.Tests.
/// </summary>
internal sealed class SocketHost : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentBag<Task> _running = [];
    private readonly CapturingLogger<WebSocketBroadcaster> _logger = new();

    private readonly bool _framed;

    private SocketHost(WebSocketEventManager manager, WebSocketBroadcasterOptions options, bool framed)
    {
        _framed = framed;
        Manager = manager;
        Broadcaster = new WebSocketBroadcaster(manager, options, _logger);
        _listener.Start();
    }

    public WebSocketEventManager Manager { get; }

    public WebSocketBroadcaster Broadcaster { get; }

    public ConcurrentQueue<LogEntry> Logs => _logger.Entries;

    /// <param name="configure">Changes the broadcaster's options from the defaults.</param>
    /// <param name="manager">Changes the manager's options from the defaults.</param>
    /// <param name="time">The clock.</param>
    /// <param name="framed">
    /// Whether the server end is made as <c>MapEventWebSocket</c> makes it, so frames are written to the connection directly
    /// (<see cref="FramedTransport"/>), instead of handed to the public <c>ConnectClientAsync</c> as a plain WebSocket.
    /// </param>
    public static SocketHost Start(Action<WebSocketBroadcasterOptions>? configure = null, Action<EventManagerOptions>? manager = null, TimeProvider? time = null, bool framed = false)
    {
        var managerOptions = new EventManagerOptions();
        manager?.Invoke(managerOptions);
        if (time is not null)
        {
            managerOptions.TimeProvider = time;
        }

        var options = new WebSocketBroadcasterOptions();
        configure?.Invoke(options);
        return new SocketHost(new WebSocketEventManager(managerOptions), options, framed);
    }

    /// <summary>Connects a WebSocket client; the broadcaster runs the protocol on the server end until it leaves.</summary>
    public async Task<WsClient> ConnectAsync(ClientConnectionOptions? options = null, bool read = true, CancellationToken serverStop = default)
    {
        var (server, client) = await PairAsync();
        var (serverSocket, transport) = _framed
            ? FramedTransport.CreateServerSocket(server, server.Dispose, TimeSpan.Zero, Timeout.InfiniteTimeSpan)
            : (WebSocket.CreateFromStream(server, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero }), null);
        var clientSocket = WebSocket.CreateFromStream(client, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
        _running.Add(Task.Run(async () =>
        {
            await using (server)
            {
                await Broadcaster.ConnectClientAsync(serverSocket, transport, options, serverStop);
            }
        }, CancellationToken.None));
        return WsClient.Over(clientSocket, read);
    }

    /// <summary>Connects a Server-Sent Events client; disposing it is the client leaving (the request aborted).</summary>
    public async Task<SseClient> StreamAsync(ClientConnectionOptions? options = null)
    {
        var (server, client) = await PairAsync();
        var aborted = new CancellationTokenSource();
        _running.Add(Task.Run(async () =>
        {
            await using (server)
            {
                await Broadcaster.StreamServerSentEventsAsync(server, options, aborted.Token);
            }
        }, CancellationToken.None));
        return SseClient.Over(client, new Leaving(aborted, client));
    }

    public async ValueTask DisposeAsync()
    {
        await Broadcaster.DisposeAsync();
        await Eventually.Within(Task.WhenAll(_running), "every client to end");
        await Manager.DisposeAsync();
        _listener.Dispose();
    }

    private async Task<(NetworkStream Server, NetworkStream Client)> PairAsync()
    {
        var client = new TcpClient { NoDelay = true };
        var accepting = _listener.AcceptSocketAsync();
        await client.ConnectAsync((IPEndPoint)_listener.LocalEndpoint);
        var server = await accepting;
        server.NoDelay = true;
        return (new NetworkStream(server, ownsSocket: true), client.GetStream());
    }

    private sealed class Leaving(CancellationTokenSource aborted, Stream stream) : IDisposable
    {
        public void Dispose()
        {
            aborted.Cancel();
            aborted.Dispose();
            stream.Dispose();
        }
    }
}
