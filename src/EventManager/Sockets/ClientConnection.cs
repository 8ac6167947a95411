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
        Subscription = Subscribe(options.LastEventId, options.Epoch);
    }

    public string Id { get; }

    public ClientConnectionOptions Options { get; }

    public SessionStats? Session { get; }

    /// <summary>The client's pull listener; a <c>resume</c> frame replaces it, on the send loop only.</summary>
    public EventSubscription Subscription { get; protected set; }

    public EventFilter Filter
    {
        get => Volatile.Read(ref _filter);
        set => Volatile.Write(ref _filter, value);
    }

    protected WebSocketBroadcaster Broadcaster => _broadcaster;

    /// <summary>Starts closing the client, from any thread; returns at once.</summary>
    public abstract void BeginClose(int closeCode, string reason);

    /// <summary>
    /// Subscribes to the manager, after <paramref name="lastEventId"/> when given. An <paramref name="epoch"/> other than the
    /// manager's means the id belongs to another stream, so the subscription starts live and says so.
    /// </summary>
    protected EventSubscription Subscribe(string? lastEventId, string? epoch)
    {
        var settings = _broadcaster.Options;
        var listener = new ListenerOptions
        {
            Name = "client:" + Id,
            Capacity = settings.SendQueueCapacity,
            OverflowPolicy = settings.SlowClientPolicy == SlowClientPolicy.Disconnect ? OverflowPolicy.DropNewest : OverflowPolicy.DropOldest,
            Filter = Accepts,
        };
        if (lastEventId is null)
        {
            return _broadcaster.Manager.Subscribe(listener, null);
        }

        var epochChanged = epoch is not null && !string.Equals(epoch, _broadcaster.Manager.Epoch, StringComparison.Ordinal);
        var subscription = _broadcaster.Manager.Subscribe(listener, epochChanged ? null : lastEventId);
        var result = epochChanged ? new ResumeResult(ResumeStatus.EpochChanged, lastEventId, 0) : subscription.Resume;
        Resume = result;
        _reportedDropped = 0;
        _broadcaster.CountResume(result);
        return subscription;
    }

    /// <summary>The outcome of the last resume asked for, to tell the client; <see langword="null"/> when it did not ask.</summary>
    public ResumeResult? Resume { get; private set; }

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
