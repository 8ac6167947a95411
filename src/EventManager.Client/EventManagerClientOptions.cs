using System.Net.WebSockets;
using System.Text.Json;

namespace EventManager.Client;

/// <summary>Settings of an <see cref="EventManagerClient"/>. Every default is what a dashboard or a follower service needs.</summary>
public sealed class EventManagerClientOptions
{
    /// <summary>The default of <see cref="ReceiveQueueCapacity"/>.</summary>
    public const int DefaultReceiveQueueCapacity = 65_536;

    /// <summary>The default of <see cref="MaxFrameBytes"/>: 16 MiB, a full batch of large events.</summary>
    public const int DefaultMaxFrameBytes = 16 * 1024 * 1024;

    /// <summary>
    /// The event types to receive: exact names, prefixes ending in <c>*</c>, or <c>*</c>, sent as the filter's
    /// <c>event_types</c>. Default <see langword="null"/>: every type.
    /// </summary>
    public IReadOnlyCollection<string>? EventTypes { get; set; }

    /// <summary>
    /// Further filter conditions as the JSON object of docs/protocol.md (<c>{"session_id":"s-1","agent_ids":["a"]}</c>), sent
    /// as the <c>filter</c> query parameter; the server checks it and refuses the connection naming a bad field. It must not
    /// name <c>event_types</c> when <see cref="EventTypes"/> is set. Default <see langword="null"/>.
    /// </summary>
    public string? Filter { get; set; }

    /// <summary>Events per <c>batch</c> frame, 1 to 1,000 (WebSocket only). Default <see langword="null"/>: the server's (50).</summary>
    public int? BatchSize { get; set; }

    /// <summary>
    /// The server's batching window, 0 to 60 seconds in whole milliseconds (WebSocket only); zero sends each event alone.
    /// Default <see langword="null"/>: the server's (50 ms).
    /// </summary>
    public TimeSpan? BatchWindow { get; set; }

    /// <summary>
    /// Where to start: the id of the last event already processed, for example kept from an earlier run; the client resumes
    /// after it on its first connection. Default <see langword="null"/>: live events from now on.
    /// </summary>
    public string? LastEventId { get; set; }

    /// <summary>The epoch <see cref="LastEventId"/> came from, so a changed stream is reported as such. Default <see langword="null"/>.</summary>
    public string? Epoch { get; set; }

    /// <summary>
    /// How many received events may wait for <see cref="EventManagerClient.ReadEventsAsync"/>. When it is full the client stops
    /// reading from the connection, so the server's slow-client handling applies (and reports a gap) instead of a silent local
    /// drop. Default <see cref="DefaultReceiveQueueCapacity"/>; at least 1.
    /// </summary>
    public int ReceiveQueueCapacity { get; set; } = DefaultReceiveQueueCapacity;

    /// <summary>The largest frame accepted; a longer one is skipped and reported through <see cref="OnError"/>. Default <see cref="DefaultMaxFrameBytes"/>; at least 1 KiB.</summary>
    public int MaxFrameBytes { get; set; } = DefaultMaxFrameBytes;

    /// <summary>The delay before the first reconnect; each further attempt doubles it, with random jitter of up to half. Default 250 ms; at least 1 ms.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest delay between reconnects. Default 30 seconds; at least <see cref="ReconnectDelay"/>.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Failed attempts in a row after which the client gives up and <see cref="EventManagerClient.ReadEventsAsync"/> throws.
    /// Default <see langword="null"/>: never give up.
    /// </summary>
    public int? MaxReconnectAttempts { get; set; }

    /// <summary>
    /// How long a connection may stay silent before it is taken for dead and replaced. The server sends a heartbeat (or an SSE
    /// keep-alive) every <c>HeartbeatInterval</c>, 30 seconds by default. Over WebSocket the server announces its interval, and
    /// the timeout becomes at least three of them, or none when the server sends no heartbeat; over SSE keep this above the
    /// server's interval yourself. Time the client spends waiting for room in its receive queue does not count. Default 90
    /// seconds; at least one second.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>How long opening a connection may take. Default 10 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Sets up each WebSocket before it connects: headers, credentials, a proxy. Default <see langword="null"/>.</summary>
    public Action<ClientWebSocketOptions>? ConfigureWebSocket { get; set; }

    /// <summary>The client for the Server-Sent Events stream, with its headers and handler; not disposed by the client. Default <see langword="null"/>: one of its own.</summary>
    public HttpClient? HttpClient { get; set; }

    /// <summary>
    /// Called after each reconnect that asked to resume (and on the first connection when <see cref="LastEventId"/> is set), with
    /// the outcome; <see cref="ResumeResult.Recovered"/> false means events were missed. Also called, with
    /// <see cref="ResumeStatus.Unknown"/>, when a reconnect cannot ask because the server gave no position (its history is off).
    /// It runs on the connection's loop when the report arrives, which may be before events received earlier have been read
    /// from <see cref="EventManagerClient.ReadEventsAsync"/>. Default <see langword="null"/>.
    /// </summary>
    public Action<ResumeResult>? OnResumed { get; set; }

    /// <summary>
    /// Called when the server reports that it dropped events for this client, on the connection's loop when the report arrives
    /// (events received before it may still be waiting to be read). Default <see langword="null"/>.
    /// </summary>
    public Action<EventGap>? OnGap { get; set; }

    /// <summary>
    /// Called for each problem the client recovers from: a connection that failed or was lost (before the reconnect), or a
    /// frame that is malformed or too long (skipped; an <see cref="EventFormatException"/> names the field). Default <see langword="null"/>.
    /// </summary>
    public Action<Exception>? OnError { get; set; }

    /// <summary>The clock for reconnect delays, the backoff and <see cref="IdleTimeout"/>. Default <see langword="null"/>: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; set; }

    internal void Validate()
    {
        if (Filter is not null)
        {
            CheckFilter();
        }

        if (EventTypes is not null && EventTypes.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException($"{nameof(EventManagerClientOptions)}.{nameof(EventTypes)} must not hold an empty type.", nameof(EventTypes));
        }

        if (BatchSize is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"{nameof(EventManagerClientOptions)}.{nameof(BatchSize)} must be between 1 and 1000.");
        }

        if (BatchWindow is { } window && (window < TimeSpan.Zero || window > TimeSpan.FromMinutes(1)))
        {
            throw new ArgumentOutOfRangeException(nameof(BatchWindow), BatchWindow, $"{nameof(EventManagerClientOptions)}.{nameof(BatchWindow)} must be between 0 and 60 seconds.");
        }

        AtLeast(ReceiveQueueCapacity, 1, nameof(ReceiveQueueCapacity));
        AtLeast(MaxFrameBytes, 1024, nameof(MaxFrameBytes));
        if (MaxReconnectAttempts is { } attempts)
        {
            AtLeast(attempts, 1, nameof(MaxReconnectAttempts));
        }

        if (ReconnectDelay < TimeSpan.FromMilliseconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(ReconnectDelay), ReconnectDelay, $"{nameof(EventManagerClientOptions)}.{nameof(ReconnectDelay)} must be at least 1 ms.");
        }

        if (MaxReconnectDelay < ReconnectDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxReconnectDelay), MaxReconnectDelay, $"{nameof(EventManagerClientOptions)}.{nameof(MaxReconnectDelay)} must be at least {nameof(ReconnectDelay)}.");
        }

        if (IdleTimeout < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(IdleTimeout), IdleTimeout, $"{nameof(EventManagerClientOptions)}.{nameof(IdleTimeout)} must be at least one second.");
        }

        if (ConnectTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, $"{nameof(EventManagerClientOptions)}.{nameof(ConnectTimeout)} must be positive.");
        }
    }

    private void CheckFilter()
    {
        try
        {
            using var document = JsonDocument.Parse(Filter!);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ArgumentException($"{nameof(EventManagerClientOptions)}.{nameof(Filter)} must be a JSON object.", nameof(Filter));
            }

            if (EventTypes is not null && document.RootElement.TryGetProperty("event_types", out _))
            {
                throw new ArgumentException($"{nameof(EventManagerClientOptions)}.{nameof(Filter)} must not name event_types when {nameof(EventTypes)} is set.", nameof(Filter));
            }
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"{nameof(EventManagerClientOptions)}.{nameof(Filter)} is not valid JSON: {ex.Message}", nameof(Filter), ex);
        }
    }

    private static void AtLeast(int value, int minimum, string name)
    {
        if (value < minimum)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{nameof(EventManagerClientOptions)}.{name} must be at least {minimum}.");
        }
    }
}
