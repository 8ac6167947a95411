using System.Buffers;
using System.Net.ServerSentEvents;
using System.Net.WebSockets;
using EventManager.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EventManager.Sockets;

/// <summary>
/// Streams a <see cref="WebSocketEventManager"/>'s events to UI clients over any <see cref="WebSocket"/> (Kestrel, HttpListener, a
/// test) and over Server-Sent Events on any <see cref="Stream"/>, with the protocol of <c>docs/protocol.md</c>: per-client filters,
/// batching, heartbeats, metrics, limits, and protection from slow or hostile clients. It needs no ASP.NET Core reference; the
/// <c>EventManager.AspNetCore</c> endpoints are thin wrappers over it.
/// </summary>
/// <remarks>
/// Each client is a pull listener of the manager with a bounded queue, so a client that stops reading loses only its own oldest
/// events (and is told how many) and never slows the publisher or other clients. Each event is serialised once and its bytes
/// copied into every client's frames.
/// </remarks>
public sealed class WebSocketBroadcaster : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (ISocketClient Client, Task Run)> _clients = [];
    private readonly Dictionary<string, SessionStats> _sessions = [];
    private long _eventsSent;
    private long _bytesSent;
    private long _dropped;
    private long _refused;
    private long _protocolErrors;
    private long _resumes;
    private long _resumesRecovered;
    private long _eventsReplayed;
    private int _reserved;
    private bool _disposed;

    /// <summary>
    /// The name of the <see cref="System.Diagnostics.ActivitySource"/> that traces each frame of events sent to a WebSocket
    /// client (<c>EventManager.Sockets</c>); pass it to OpenTelemetry's <c>AddSource</c>.
    /// </summary>
    public const string ActivitySourceName = "EventManager.Sockets";

    /// <summary>Creates a broadcaster for a manager.</summary>
    /// <param name="manager">The manager whose events are sent; disposing the broadcaster does not dispose it.</param>
    /// <param name="options">The settings; defaults when <see langword="null"/>.</param>
    /// <param name="logger">Where client problems and closes are logged (client mistakes at Warning or below); nowhere when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">An option is invalid; the exception names it.</exception>
    public WebSocketBroadcaster(WebSocketEventManager manager, WebSocketBroadcasterOptions? options = null, ILogger<WebSocketBroadcaster>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(manager);
        options ??= new WebSocketBroadcasterOptions();
        options.Validate();
        Manager = manager;
        Options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Where the broadcaster and its clients log.</summary>
    internal ILogger Logger => _logger;

    /// <summary>The manager whose events are sent.</summary>
    public WebSocketEventManager Manager { get; }

    /// <summary>How many WebSocket and SSE clients are connected.</summary>
    public int ClientCount
    {
        get
        {
            lock (_gate)
            {
                return _clients.Count;
            }
        }
    }

    internal WebSocketBroadcasterOptions Options { get; }

    /// <summary>The epoch clients are given and resume against: the shared history's when there is one, else the manager's.</summary>
    internal string Epoch => Options.SharedHistory?.Epoch ?? Manager.Epoch;

    /// <summary>Whether a client for this session would be accepted now, so an endpoint can answer HTTP 503 before upgrading.</summary>
    /// <param name="sessionId">The session, or <see langword="null"/>.</param>
    /// <returns>Whether the limits leave room.</returns>
    public bool CanAccept(string? sessionId)
    {
        lock (_gate)
        {
            return RoomFor(sessionId) is null;
        }
    }

    /// <summary>
    /// <see cref="CanAccept"/> for an endpoint that answers a refusal itself (HTTP 503 before upgrading): a refusal is counted
    /// in <see cref="BroadcasterMetrics.ClientsRefused"/> and logged, as one made after upgrading is.
    /// </summary>
    internal bool AdmitOrRefuse(string? sessionId)
    {
        string? refusal;
        lock (_gate)
        {
            refusal = RoomFor(sessionId);
        }

        if (refusal is null)
        {
            return true;
        }

        Interlocked.Increment(ref _refused);
        Log.ClientRefused(_logger, sessionId, refusal);
        return false;
    }

    /// <summary>
    /// Runs the protocol on an open WebSocket until the client leaves, is disconnected, or the broadcaster is disposed. Sends
    /// <c>connected</c> first. A client over the limits is closed at once with <see cref="EventSocketCloseCodes.TryAgainLater"/>.
    /// The socket is closed (or aborted) when this completes; it never throws for anything the client does.
    /// </summary>
    /// <param name="socket">An open WebSocket.</param>
    /// <param name="options">What the client receives and how; defaults when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Disconnects the client with <see cref="EventSocketCloseCodes.GoingAway"/>.</param>
    /// <returns>A task that completes when the client is gone.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the exception names it.</exception>
    /// <exception cref="ObjectDisposedException">The broadcaster or the manager is disposed.</exception>
    public Task ConnectClientAsync(WebSocket socket, ClientConnectionOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectClientAsync(socket, null, options, cancellationToken);

    /// <summary>
    /// <see cref="ConnectClientAsync(WebSocket, ClientConnectionOptions?, CancellationToken)"/> for a socket this library made over
    /// <paramref name="transport"/>, to which the client's uncompressed frames are then written directly.
    /// </summary>
    internal async Task ConnectClientAsync(WebSocket socket, FramedTransport? transport, ClientConnectionOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        options ??= new ClientConnectionOptions();
        options.Validate();
        if (!TryReserve(options.SessionId, out var session, out var refusal))
        {
            using var timeout = new CancellationTokenSource(Options.CloseTimeout, Manager.TimeProvider);
            try
            {
                await socket.CloseAsync((WebSocketCloseStatus)EventSocketCloseCodes.TryAgainLater, refusal, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                socket.Abort();
            }

            return;
        }

        WebSocketClient client;
        try
        {
            client = new WebSocketClient(this, socket, transport, options, session);
        }
        catch
        {
            Release(null, options.SessionId);
            throw;
        }

        await RunTrackedAsync(client, static c => c.RunAsync(), "websocket", cancellationToken).ConfigureAwait(false);
        Log.ClientLeft(_logger, client.Connection.Id, client.CloseCode, ClientCount);
    }

    /// <summary>
    /// Streams events as Server-Sent Events to <paramref name="destination"/> (an HTTP response body with <c>text/event-stream</c>)
    /// until the client leaves (<paramref name="cancellationToken"/>), is disconnected, or the broadcaster is disposed. A client
    /// over the limits gets an <c>error</c> event and the stream ends; prefer checking <see cref="CanAccept"/> first and answering 503.
    /// </summary>
    /// <param name="destination">The stream to write to.</param>
    /// <param name="options">What the client receives; batching does not apply to SSE. Defaults when <see langword="null"/>.</param>
    /// <param name="cancellationToken">The client left, such as <c>HttpContext.RequestAborted</c>.</param>
    /// <returns>A task that completes when the stream ends.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the exception names it.</exception>
    /// <exception cref="ObjectDisposedException">The broadcaster or the manager is disposed.</exception>
    public async Task StreamServerSentEventsAsync(Stream destination, ClientConnectionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        options ??= new ClientConnectionOptions();
        options.Validate();
        if (!TryReserve(options.SessionId, out var session, out var refusal))
        {
            // The same formatter as every other SSE item, so the framing is written in one place.
            IEnumerable<SseItem<byte[]>> refused = [new SseItem<byte[]>(Frames.ErrorJson("try_again_later", refusal), "error")];
            await SseFormatter.WriteAsync(refused.ToAsyncEnumerable(), destination, static (item, writer) => writer.Write(item.Data), cancellationToken).ConfigureAwait(false);
            return;
        }

        ServerSentEventClient client;
        try
        {
            client = new ServerSentEventClient(this, options, session);
        }
        catch
        {
            Release(null, options.SessionId);
            throw;
        }

        await RunTrackedAsync(client, c => c.RunAsync(destination, cancellationToken), "sse", CancellationToken.None).ConfigureAwait(false);
        Log.ClientLeft(_logger, client.Connection.Id, null, ClientCount);
    }

    /// <summary>Closes one client with the given code, as <c>connected.payload.connection_id</c> names it, and waits until it is gone.</summary>
    /// <param name="clientId">The connection id.</param>
    /// <param name="closeCode">The WebSocket close code; <see cref="EventSocketCloseCodes.Normal"/> by default.</param>
    /// <param name="reason">The close reason sent to the client.</param>
    /// <returns>Whether the client was connected.</returns>
    public async Task<bool> DisconnectClientAsync(string clientId, int closeCode = EventSocketCloseCodes.Normal, string? reason = null)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        (ISocketClient Client, Task Run) entry;
        lock (_gate)
        {
            if (!_clients.TryGetValue(clientId, out entry))
            {
                return false;
            }
        }

        entry.Client.BeginClose(closeCode, reason ?? "disconnected by the server");
        await entry.Run.ConfigureAwait(false);
        return true;
    }

    /// <summary>The ids of the connected clients.</summary>
    /// <returns>A snapshot.</returns>
    public IReadOnlyList<string> GetClientIds()
    {
        lock (_gate)
        {
            return [.. _clients.Keys];
        }
    }

    /// <summary>Takes a snapshot of the counters; also sent to clients that ask for <c>metrics_update</c> frames.</summary>
    /// <returns>The snapshot.</returns>
    public BroadcasterMetrics GetMetrics()
    {
        lock (_gate)
        {
            var sessions = new Dictionary<string, SessionMetrics>(_sessions.Count, StringComparer.Ordinal);
            foreach (var (id, stats) in _sessions)
            {
                sessions[id] = stats.Snapshot(Manager.TimeProvider);
            }

            return new BroadcasterMetrics(
                _clients.Count,
                _sessions.Count,
                Interlocked.Read(ref _eventsSent),
                Interlocked.Read(ref _bytesSent),
                Interlocked.Read(ref _dropped),
                Interlocked.Read(ref _refused),
                Interlocked.Read(ref _protocolErrors),
                Interlocked.Read(ref _resumes),
                Interlocked.Read(ref _resumesRecovered),
                Interlocked.Read(ref _resumes) - Interlocked.Read(ref _resumesRecovered),
                Interlocked.Read(ref _eventsReplayed),
                sessions);
        }
    }

    /// <summary>
    /// Refuses new clients, closes every client with <see cref="EventSocketCloseCodes.GoingAway"/> and waits until they are gone
    /// (each within <see cref="WebSocketBroadcasterOptions.CloseTimeout"/>, then aborted). Calling it again does nothing.
    /// </summary>
    /// <returns>A task that completes when every client is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        Task[] running;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            running = [.. _clients.Values.Select(c => c.Run)];
            foreach (var (client, _) in _clients.Values)
            {
                client.BeginClose(EventSocketCloseCodes.GoingAway, "server shutting down");
            }
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    /// <summary>Whether disposal has begun.</summary>
    internal bool IsDisposed
    {
        get
        {
            lock (_gate)
            {
                return _disposed;
            }
        }
    }

    internal void CountSent(long events, long bytes)
    {
        Interlocked.Add(ref _eventsSent, events);
        Interlocked.Add(ref _bytesSent, bytes);
    }

    internal void CountDropped(long events) => Interlocked.Add(ref _dropped, events);

    internal void CountProtocolError() => Interlocked.Increment(ref _protocolErrors);

    internal void CountResume(ResumeResult result)
    {
        Interlocked.Increment(ref _resumes);
        if (result.Status == ResumeStatus.Recovered)
        {
            Interlocked.Increment(ref _resumesRecovered);
            Interlocked.Add(ref _eventsReplayed, result.Replayed);
        }
    }

    private async Task RunTrackedAsync<TClient>(TClient client, Func<TClient, Task> run, string kind, CancellationToken cancellationToken)
        where TClient : ISocketClient
    {
        var id = client.Connection.Id;
        var sessionId = client.Connection.Options.SessionId;
        var gone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            // Listed before it runs: the client may be sent `connected` (with its id) before run returns, and from then on it must
            // be counted in metrics and reachable by DisconnectClientAsync. A client closed before it runs sends nothing and ends.
            _clients[id] = (client, gone.Task);
            if (_disposed)
            {
                client.BeginClose(EventSocketCloseCodes.GoingAway, "server shutting down");
            }
        }

        Log.ClientConnected(_logger, id, kind, sessionId, ClientCount);
        try
        {
            using var registration = cancellationToken.Register(static state => ((ISocketClient)state!).BeginClose(EventSocketCloseCodes.GoingAway, "server shutting down"), client);
            await run(client).ConfigureAwait(false);
        }
        finally
        {
            Release(id, sessionId);
            gone.TrySetResult();
        }
    }

    private bool TryReserve(string? sessionId, out SessionStats? session, out string refusal)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            session = null;
            refusal = RoomFor(sessionId) ?? string.Empty;
            if (refusal.Length > 0)
            {
                Interlocked.Increment(ref _refused);
                Log.ClientRefused(_logger, sessionId, refusal);
                return false;
            }

            // Hold the place from now on; RunTrackedAsync lists the client itself once it exists.
            _reserved++;
            if (sessionId is not null)
            {
                if (!_sessions.TryGetValue(sessionId, out session))
                {
                    session = new SessionStats(Manager.TimeProvider.GetTimestamp());
                    _sessions[sessionId] = session;
                }

                session.Clients++;
            }

            return true;
        }
    }

    private void Release(string? clientId, string? sessionId)
    {
        lock (_gate)
        {
            _reserved--;
            if (clientId is not null)
            {
                _clients.Remove(clientId);
            }

            if (sessionId is not null && _sessions.TryGetValue(sessionId, out var session) && --session.Clients == 0)
            {
                _sessions.Remove(sessionId);
            }
        }
    }

    private string? RoomFor(string? sessionId)
    {
        if (_reserved >= Options.MaxClients)
        {
            return $"the server has its maximum of {Options.MaxClients} clients";
        }

        if (sessionId is not null && _sessions.TryGetValue(sessionId, out var session) && session.Clients >= Options.MaxClientsPerSession)
        {
            return $"session '{sessionId}' has its maximum of {Options.MaxClientsPerSession} clients";
        }

        return null;
    }
}
