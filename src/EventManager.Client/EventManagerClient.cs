using System.Net;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace EventManager.Client;

/// <summary>
/// Follows an EventManager server's event stream: <c>ws://</c> and <c>wss://</c> endpoints speak the WebSocket protocol of
/// docs/protocol.md (<c>MapEventWebSocket</c>), <c>http://</c> and <c>https://</c> the Server-Sent Events stream
/// (<c>MapEventStream</c>). It reconnects after any failure with exponential backoff and jitter and resumes after the last
/// event received, so a dropped connection or a server restart (with a history that survives it, such as the Redis shared
/// history) costs no event and repeats none (after an event whose id the server cannot resume from, it resumes from the one
/// before, and the events between come again); when the server cannot replay what was missed,
/// <see cref="EventManagerClientOptions.OnResumed"/> says so.
/// </summary>
/// <remarks>
/// The connection opens when <see cref="ReadEventsAsync"/> is first enumerated. Received events wait in a bounded queue; when
/// it is full the client stops reading the connection, so a slow consumer is handled by the server (which reports a gap) and
/// nothing is dropped here.
/// </remarks>
public sealed class EventManagerClient : IAsyncDisposable
{
    private static readonly HashSet<WebSocketCloseStatus> ProtocolViolations =
    [
        WebSocketCloseStatus.InvalidMessageType,
        WebSocketCloseStatus.PolicyViolation,
        WebSocketCloseStatus.MessageTooBig,
    ];

    private readonly Uri _endpoint;
    private readonly EventManagerClientOptions _options;
    private readonly bool _webSocket;
    private readonly Channel<WebSocketEvent> _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient? _ownHttpClient;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly string? _filter;
    private Task? _run;
    private int _reading;
    private Task? _disposing;

    // Set by the connection loop when a connection ended with no position to resume from; reported, and cleared, when the
    // next connection's opening frame arrives.
    private int _positionLost;

    // Written by the connection loop, read by anyone.
    private string? _lastEventId;
    private string? _epoch;
    private long _reconnects;
    private long _received;

    /// <summary>Creates a client; nothing connects until <see cref="ReadEventsAsync"/> is enumerated.</summary>
    /// <param name="endpoint">The stream's address: <c>ws://host/ws/events</c>, <c>https://host/events/s-1</c>, ...</param>
    /// <param name="options">The settings; defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The scheme is not ws, wss, http or https, or an option is invalid; the exception names it.</exception>
    public EventManagerClient(Uri endpoint, EventManagerClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!endpoint.IsAbsoluteUri || endpoint.Scheme is not ("ws" or "wss" or "http" or "https"))
        {
            throw new ArgumentException($"The endpoint must be an absolute ws://, wss://, http:// or https:// address; got '{endpoint}'.", nameof(endpoint));
        }

        _options = options ?? new EventManagerClientOptions();
        _options.Validate();
        _filter = ClientQuery.Filter(_options);
        _endpoint = endpoint;
        _webSocket = endpoint.Scheme is "ws" or "wss";
        _time = _options.TimeProvider ?? TimeProvider.System;
        _lastEventId = _options.LastEventId;
        _epoch = _options.Epoch;
        _queue = Channel.CreateBounded<WebSocketEvent>(new BoundedChannelOptions(_options.ReceiveQueueCapacity) { SingleReader = true, SingleWriter = true });
        if (!_webSocket && _options.HttpClient is null)
        {
            _ownHttpClient = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        }
    }

    /// <summary>The id of the last event received (or, before the first, the position the server gave this client): where the next reconnect resumes.</summary>
    public string? LastEventId => Volatile.Read(ref _lastEventId);

    /// <summary>The epoch of the stream, from the server's <c>connected</c> and <c>resumed</c> frames; <see langword="null"/> until known.</summary>
    public string? Epoch => Volatile.Read(ref _epoch);

    /// <summary>How many times the client has reconnected after a connection failed or ended.</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>
    /// Yields the events received, in the server's order, connecting on the first call. Ending an enumeration leaves the
    /// connection running; a later call goes on where it stopped. One enumeration at a time.
    /// </summary>
    /// <param name="cancellationToken">Stops this enumeration (not the connection; dispose the client for that).</param>
    /// <returns>The events.</returns>
    /// <exception cref="InvalidOperationException">Another enumeration is running.</exception>
    /// <exception cref="HttpRequestException">The server refused the connection in a way retrying cannot mend (HTTP 400, 401, 403, 404), or <see cref="EventManagerClientOptions.MaxReconnectAttempts"/> ran out; thrown when the events before it are read.</exception>
    /// <exception cref="WebSocketException">The server closed the connection for a protocol violation by this client (1003, 1008, 1009).</exception>
    /// <remarks>Any other exception that ends the connection loop (one thrown by <see cref="EventManagerClientOptions.ConfigureWebSocket"/>, say) also ends the enumeration, after the events received before it.</remarks>
    public async IAsyncEnumerable<WebSocketEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _reading, 1) != 0)
        {
            throw new InvalidOperationException("Another enumeration of ReadEventsAsync is running; read the events in one place.");
        }

        try
        {
            EnsureStarted();
            var reader = _queue.Reader;
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var evt))
                {
                    yield return evt;
                }
            }
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }

    /// <summary>Closes the connection and stops reconnecting; an enumeration running ends after the events already received.</summary>
    /// <returns>A task that completes when the connection is closed.</returns>
    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            // Every call, the first and any made while it runs, completes when the connection is closed.
            _disposing ??= DisposeCoreAsync();
            return new ValueTask(_disposing);
        }
    }

    private async Task DisposeCoreAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        Task? run;
        lock (_gate)
        {
            run = _run;
            _run = Task.CompletedTask;
        }

        if (run is not null)
        {
            await run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _queue.Writer.TryComplete();
        _ownHttpClient?.Dispose();
        _stop.Dispose();
    }

    internal void UpdateEpoch(string? epoch)
    {
        if (epoch is not null)
        {
            Volatile.Write(ref _epoch, epoch);
        }
    }

    internal void OnConnected(string? epoch, string? startPosition)
    {
        UpdateEpoch(epoch);
        if (Interlocked.Exchange(ref _positionLost, 0) != 0)
        {
            // The connection before ended without a position (the server's history is off): what was published meanwhile
            // is lost, and said so, once, now that a connection is back.
            OnResumed(new ResumeResult(ResumeStatus.Unknown, null, 0));
        }

        // Where this connection starts: the id it resumed after, or, when that could not be recovered or none was asked for,
        // the newest event before it. Resuming from it after a drop before the next event misses nothing, and never pairs an
        // id of an earlier stream with this stream's epoch.
        if (startPosition is not null && IsResumePosition(startPosition))
        {
            Volatile.Write(ref _lastEventId, startPosition);
        }
    }

    internal async ValueTask EnqueueAsync(WebSocketEvent evt, CancellationToken cancellationToken)
    {
        await _queue.Writer.WriteAsync(evt, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _received);

        // An id the server would refuse as a resume position (any string can be an event id) does not replace the last good one:
        // a reconnect resumes from there and may replay a few events rather than fail.
        if (IsResumePosition(evt.EventId))
        {
            Volatile.Write(ref _lastEventId, evt.EventId);
        }
    }

    /// <summary>The grammar the server accepts for <c>last_event_id</c>: 1 to 128 letters, digits, '-', '_', '.', ':'.</summary>
    internal static bool IsResumePosition(string id) =>
        id is { Length: > 0 and <= 128 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');

    internal void OnResumed(ResumeResult result) => Notify(_options.OnResumed, result);

    internal void OnGap(EventGap gap) => Notify(_options.OnGap, gap);

    internal void ReportError(Exception error)
    {
        try
        {
            _options.OnError?.Invoke(error);
        }
        catch (Exception)
        {
            // The error callback failing is no reason to stop following the stream; there is nowhere left to report it.
        }
    }

    private void Notify<T>(Action<T>? callback, T value)
    {
        try
        {
            callback?.Invoke(value);
        }
        catch (Exception ex)
        {
            ReportError(ex);
        }
    }

    private void EnsureStarted()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            if (_run is null)
            {
                // The loop outlives the call that started it: it must not carry the caller's Activity.Current (or anything else
                // of its context) into every later connection.
                if (ExecutionContext.IsFlowSuppressed())
                {
                    _run = Task.Run(() => RunAsync(_stop.Token));
                }
                else
                {
                    using (ExecutionContext.SuppressFlow())
                    {
                        _run = Task.Run(() => RunAsync(_stop.Token));
                    }
                }
            }
        }
    }

    /// <summary>Runs the connection loop; whatever ends it, the reader learns of it instead of waiting for good.</summary>
    private async Task RunAsync(CancellationToken stop)
    {
        try
        {
            await ConnectLoopAsync(stop).ConfigureAwait(false);
            _queue.Writer.TryComplete();
        }
        catch (Exception ex)
        {
            _queue.Writer.TryComplete(ex);
        }
    }

    /// <summary>Connects, reads until the connection ends, and reconnects after a backoff, until disposed or told to give up.</summary>
    private async Task ConnectLoopAsync(CancellationToken stop)
    {
        var dispatcher = new FrameDispatcher(this);
        var failures = 0;
        var connectedBefore = false;
        Exception? lastError = null;
        while (!stop.IsCancellationRequested)
        {
            var connected = false;
            var position = LastEventId;
            if (connectedBefore && position is null)
            {
                Volatile.Write(ref _positionLost, 1);
            }

            var eventsBefore = Volatile.Read(ref _received);
            var started = _time.GetTimestamp();
            try
            {
                var uri = ClientQuery.Build(_endpoint, _filter, _options, position, Epoch);
                if (_webSocket)
                {
                    var close = await WebSocketTransport.RunAsync(uri, _options, _time, dispatcher, () => connected = true, stop).ConfigureAwait(false);
                    if (close is { } status && ProtocolViolations.Contains(status))
                    {
                        _queue.Writer.TryComplete(new WebSocketException(WebSocketError.Faulted, $"The server closed the connection with {(int)status} ({status}): this client broke the protocol."));
                        return;
                    }

                    lastError = new WebSocketException(WebSocketError.ConnectionClosedPrematurely, $"The server closed the connection ({close?.ToString() ?? "no close frame"}).");
                }
                else
                {
                    await ServerSentEventTransport.RunAsync(uri, _options.HttpClient ?? _ownHttpClient!, _options, _time, dispatcher, () => connected = true, stop).ConfigureAwait(false);
                    lastError = new IOException("The server ended the event stream.");
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpRequestException ex) when (ex.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
            {
                _queue.Writer.TryComplete(ex);
                return;
            }
            catch (Exception ex) when (ex is WebSocketException or HttpRequestException or IOException or TimeoutException or OperationCanceledException)
            {
                lastError = ex;
            }

            ReportError(lastError);
            connectedBefore |= connected;

            // A connection that delivered events, or stayed up a while, starts the backoff afresh; one that the server accepts
            // and closes at once keeps it growing, so a refusing server is not hammered.
            var healthy = connected && (Volatile.Read(ref _received) != eventsBefore || _time.GetElapsedTime(started) >= _options.MaxReconnectDelay);
            failures = healthy ? 1 : failures + 1;
            if (_options.MaxReconnectAttempts is { } most && failures > most)
            {
                _queue.Writer.TryComplete(new HttpRequestException($"Gave up after {most} failed reconnect attempts in a row; the last error: {lastError.Message}", lastError));
                return;
            }

            try
            {
                await Task.Delay(Backoff.Delay(failures, _options.ReconnectDelay, _options.MaxReconnectDelay), _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Interlocked.Increment(ref _reconnects);
        }
    }
}
