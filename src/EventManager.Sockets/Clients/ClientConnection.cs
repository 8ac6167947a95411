namespace EventManager.Sockets;

/// <summary>
/// What one client is, whatever its transport: its id, options and session, the filter that selects its events, and where its
/// counters go. The WebSocket and SSE clients each hold one; they share no other state.
/// </summary>
internal sealed class ClientConnection
{
    // Written by the receive loop (subscribe frames), read by the dispatcher for every event.
    private EventFilter _filter;

    public ClientConnection(WebSocketBroadcaster broadcaster, ClientConnectionOptions options, SessionStats? session)
    {
        Broadcaster = broadcaster;
        Options = options;
        Session = session;
        _filter = options.Filter;
        Id = Guid.CreateVersion7().ToString("N");
    }

    public string Id { get; }

    public ClientConnectionOptions Options { get; }

    public SessionStats? Session { get; }

    public WebSocketBroadcaster Broadcaster { get; }

    public TimeProvider Time => Broadcaster.Manager.TimeProvider;

    public EventFilter Filter
    {
        get => Volatile.Read(ref _filter);
        set => Volatile.Write(ref _filter, value);
    }

    /// <summary>Whether this client may and wants to see the event. Runs on the manager's dispatcher: cheap, never blocking.</summary>
    public bool Accepts(WebSocketEvent evt)
    {
        if (evt.TargetUserId is { } target && !string.Equals(target, Options.UserId, StringComparison.Ordinal))
        {
            return false;
        }

        if (!Filter.Matches(evt))
        {
            return false;
        }

        return Broadcaster.Options.AuthorizeEvent is not { } authorize || authorize(evt, Options.User);
    }

    public void CountSent(long events, long bytes)
    {
        Broadcaster.CountSent(events, bytes);
        Session?.CountSent(events, bytes);
    }
}
