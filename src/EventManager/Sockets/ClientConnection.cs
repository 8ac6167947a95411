namespace EventManager.Sockets;

/// <summary>What WebSocket and SSE clients share: a subscription to the manager whose filter is this client's, and its counters.</summary>
internal abstract class ClientConnection
{
    private readonly WebSocketBroadcaster _broadcaster;
    private EventFilter _filter;
    private long _reportedDropped;
    private int _slowSignalled;

    protected ClientConnection(WebSocketBroadcaster broadcaster, ClientConnectionOptions options, SessionStats? session)
    {
        _broadcaster = broadcaster;
        Options = options;
        Session = session;
        _filter = options.Filter;
        Id = Guid.CreateVersion7().ToString("N");
        var settings = broadcaster.Options;
        Subscription = broadcaster.Manager.Subscribe(new ListenerOptions
        {
            Name = "client:" + Id,
            Capacity = settings.SendQueueCapacity,
            OverflowPolicy = settings.SlowClientPolicy == SlowClientPolicy.Disconnect ? OverflowPolicy.DropNewest : OverflowPolicy.DropOldest,
            Filter = Accepts,
        });
    }

    public string Id { get; }

    public ClientConnectionOptions Options { get; }

    public SessionStats? Session { get; }

    public EventSubscription Subscription { get; }

    public EventFilter Filter
    {
        get => Volatile.Read(ref _filter);
        set => Volatile.Write(ref _filter, value);
    }

    protected WebSocketBroadcaster Broadcaster => _broadcaster;

    /// <summary>Starts closing the client, from any thread; returns at once.</summary>
    public abstract void BeginClose(int closeCode, string reason);

    /// <summary>Events dropped from this client's queue since the last call.</summary>
    protected long TakeNewDrops(out long total)
    {
        total = Subscription.Dropped;
        var missed = total - _reportedDropped;
        _reportedDropped = total;
        if (missed > 0)
        {
            _broadcaster.CountDropped(missed);
        }

        return missed;
    }

    protected void CountSent(long events, long bytes)
    {
        _broadcaster.CountSent(events, bytes);
        Session?.CountSent(events, bytes);
    }

    /// <summary>Runs on the manager's dispatcher for every event: keep it cheap and never block.</summary>
    private bool Accepts(WebSocketEvent evt)
    {
        if (evt.TargetUserId is { } target && !string.Equals(target, Options.UserId, StringComparison.Ordinal))
        {
            return false;
        }

        if (!Filter.Matches(evt))
        {
            return false;
        }

        if (_broadcaster.Options.AuthorizeEvent is { } authorize && !authorize(evt, Options.User))
        {
            return false;
        }

        if (_broadcaster.Options.SlowClientPolicy == SlowClientPolicy.Disconnect
            && Subscription.Pending >= _broadcaster.Options.SendQueueCapacity
            && Interlocked.Exchange(ref _slowSignalled, 1) == 0)
        {
            // Close off the dispatcher: closing waits on the socket.
            ThreadPool.QueueUserWorkItem(static state => state.client.BeginClose(EventSocketCloseCodes.SlowConsumer, "send queue overflow"), (client: this, 0), preferLocal: false);
        }

        return true;
    }
}
