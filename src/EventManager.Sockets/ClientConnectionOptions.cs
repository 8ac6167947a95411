using System.Globalization;
using System.Security.Claims;

namespace EventManager.Sockets;

/// <summary>The settings of one client connection: what it receives, how events are batched, and who it is.</summary>
public sealed class ClientConnectionOptions
{
    /// <summary>The session the client joined, from the endpoint's <c>{sessionId}</c>; it then receives only that session's events. Default none.</summary>
    public string? SessionId { get; init; }

    /// <summary>What the client receives. Default <see cref="EventFilter.All"/>; a <c>subscribe</c> frame replaces its event types.</summary>
    public EventFilter Filter { get; init; } = EventFilter.All;

    /// <summary>The authenticated user, for <see cref="WebSocketBroadcasterOptions.AuthorizeEvent"/>. Default none.</summary>
    public ClaimsPrincipal? User { get; init; }

    /// <summary>The user id events addressed with <see cref="WebSocketEvent.TargetUserId"/> must name to reach this client. Default none: addressed events never reach it.</summary>
    public string? UserId { get; init; }

    /// <summary>Events per <c>batch</c> frame, from 1 to <see cref="WebSocketBroadcasterOptions.MaxBatchSize"/>. Default <see cref="WebSocketBroadcasterOptions.DefaultBatchSize"/>.</summary>
    public int BatchSize { get; init; } = WebSocketBroadcasterOptions.DefaultBatchSize;

    /// <summary>
    /// Above zero, events go out in <c>batch</c> frames of whatever is queued when the socket is free, up to
    /// <see cref="BatchSize"/>; a batch never waits to fill, so the window delays no event (it is kept for the protocol's
    /// <c>batch_window_ms</c> and reported in <c>connected</c>). Zero sends each event alone as an <c>event</c> frame. Default
    /// <see cref="WebSocketBroadcasterOptions.DefaultBatchWindow"/>.
    /// </summary>
    public TimeSpan BatchWindow { get; init; } = WebSocketBroadcasterOptions.DefaultBatchWindow;

    /// <summary>
    /// Resume after this event: the kept events after it that the filter selects come first, then live events, and the client
    /// is told whether that worked (<c>resumed</c>). From <c>?last_event_id=</c> or the SSE <c>Last-Event-ID</c> header. Default none.
    /// </summary>
    public string? LastEventId { get; init; }

    /// <summary>The stream epoch the <see cref="LastEventId"/> came from (the <c>epoch</c> of the <c>connected</c> frame), if known. Default none.</summary>
    public string? Epoch { get; init; }

    /// <summary>How often the client gets a <c>metrics_update</c> frame. Default zero: never; otherwise at least <see cref="WebSocketBroadcasterOptions.MinMetricsInterval"/>.</summary>
    public TimeSpan MetricsInterval { get; init; }

    /// <summary>
    /// Reads the connect-time query parameters of the protocol: <c>filter</c> (JSON), <c>batch_size</c>, <c>batch_window_ms</c>,
    /// <c>metrics_interval_ms</c>, <c>last_event_id</c> and <c>epoch</c>.
    /// </summary>
    /// <param name="query">Looks up one query parameter; <see langword="null"/> when absent.</param>
    /// <param name="sessionId">The session from the route, if any.</param>
    /// <param name="user">The authenticated user, if any.</param>
    /// <param name="userId">The user's id for addressed events, if any.</param>
    /// <param name="lastEventId">The event to resume after when the query has no <c>last_event_id</c>, such as an SSE <c>Last-Event-ID</c> header.</param>
    /// <returns>The options.</returns>
    /// <exception cref="EventFormatException">A parameter is malformed; <see cref="EventFormatException.Field"/> names it.</exception>
    public static ClientConnectionOptions FromQuery(Func<string, string?> query, string? sessionId = null, ClaimsPrincipal? user = null, string? userId = null, string? lastEventId = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        lastEventId = query("last_event_id") is { Length: > 0 } fromQuery ? fromQuery : lastEventId;
        if (lastEventId is not null && !IsEventId(lastEventId))
        {
            throw new EventFormatException("last_event_id", "expected an event id of 1 to 128 letters, digits or '-', '_', '.', ':'.");
        }

        var epoch = query("epoch") is { Length: > 0 } givenEpoch ? givenEpoch : null;
        if (epoch is not null && !IsEventId(epoch))
        {
            throw new EventFormatException("epoch", "expected an epoch as sent in the connected frame.");
        }

        var filter = query("filter") is { Length: > 0 } json ? EventFilter.Parse(json) : EventFilter.All;
        var batchSize = Integer(query, "batch_size", WebSocketBroadcasterOptions.DefaultBatchSize, 1, WebSocketBroadcasterOptions.MaxBatchSize);
        var windowMs = Integer(query, "batch_window_ms", (int)WebSocketBroadcasterOptions.DefaultBatchWindow.TotalMilliseconds, 0, 60_000);
        var metricsMs = Integer(query, "metrics_interval_ms", 0, 0, 3_600_000);
        if (metricsMs > 0 && metricsMs < WebSocketBroadcasterOptions.MinMetricsInterval.TotalMilliseconds)
        {
            throw new EventFormatException("metrics_interval_ms", $"must be 0 (off) or at least {WebSocketBroadcasterOptions.MinMetricsInterval.TotalMilliseconds} ms.");
        }

        return new ClientConnectionOptions
        {
            SessionId = string.IsNullOrEmpty(sessionId) ? null : sessionId,
            Filter = filter.ForSession(sessionId),
            User = user,
            UserId = userId,
            BatchSize = batchSize,
            BatchWindow = TimeSpan.FromMilliseconds(windowMs),
            MetricsInterval = TimeSpan.FromMilliseconds(metricsMs),
            LastEventId = lastEventId,
            Epoch = epoch,
        };
    }

    /// <summary>Whether text can be an event id (or epoch): what a resume may name, so garbage is refused before any lookup.</summary>
    internal static bool IsEventId(string? text) =>
        text is { Length: > 0 and <= 128 } && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Filter, nameof(Filter));
        if (BatchSize is < 1 or > WebSocketBroadcasterOptions.MaxBatchSize)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"{nameof(ClientConnectionOptions)}.{nameof(BatchSize)} must be between 1 and {WebSocketBroadcasterOptions.MaxBatchSize}.");
        }

        if (BatchWindow < TimeSpan.Zero || BatchWindow > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentOutOfRangeException(nameof(BatchWindow), BatchWindow, $"{nameof(ClientConnectionOptions)}.{nameof(BatchWindow)} must be between zero and one minute.");
        }

        if (MetricsInterval != TimeSpan.Zero && MetricsInterval < WebSocketBroadcasterOptions.MinMetricsInterval)
        {
            throw new ArgumentOutOfRangeException(nameof(MetricsInterval), MetricsInterval, $"{nameof(ClientConnectionOptions)}.{nameof(MetricsInterval)} must be zero or at least {WebSocketBroadcasterOptions.MinMetricsInterval}.");
        }
    }

    private static int Integer(Func<string, string?> query, string name, int fallback, int min, int max)
    {
        var text = query(name);
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new EventFormatException(name, $"expected a whole number from {min} to {max} but found '{text}'.");
        }

        return value;
    }
}
