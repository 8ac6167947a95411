namespace EventManager.Sockets;

/// <summary>What WebSocket and SSE clients share: a subscription to the manager whose filter is this client's, and its counters.</summary>
internal abstract class ClientConnection
{
    private readonly WebSocketBroadcaster _broadcaster;
    private EventFilter _filter;
    private long _reportedDropped;
    private int _slowSignalled;
    private string? _pendingSharedLookup;
    private EventSubscription? _subscription;

    protected ClientConnection(WebSocketBroadcaster broadcaster, ClientConnectionOptions options, SessionStats? session)
    {
        _broadcaster = broadcaster;
        Options = options;
        Session = session;
        _filter = options.Filter;
        Id = Guid.CreateVersion7().ToString("N");
        Subscription = Subscribe(options.LastEventId, options.Epoch);
    }

    public string Id { get; }

    public ClientConnectionOptions Options { get; }

    public SessionStats? Session { get; }

    /// <summary>The client's pull listener; a <c>resume</c> frame replaces it, on the send loop only.</summary>
    public EventSubscription Subscription
    {
        get => _subscription!;
        protected set => Volatile.Write(ref _subscription, value);
    }

    public EventFilter Filter
    {
        get => Volatile.Read(ref _filter);
        set => Volatile.Write(ref _filter, value);
    }

    protected WebSocketBroadcaster Broadcaster => _broadcaster;

    /// <summary>Starts closing the client, from any thread; returns at once.</summary>
    public abstract void BeginClose(int closeCode, string reason);

    /// <summary>
    /// Subscribes to the manager, after <paramref name="lastEventId"/> when given, from this instance's history. When that does
    /// not have the event and a shared history is configured, <see cref="CompleteResumeAsync"/> must finish the job before the
    /// first event is sent.
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
        Replay.Clear();
        ReplayedIds.Clear();
        if (lastEventId is null)
        {
            return _broadcaster.Manager.Subscribe(listener, null);
        }

        // An id found in the history is proof enough (ids are unique); the epoch only explains an id that is not.
        var subscription = _broadcaster.Manager.Subscribe(listener, lastEventId);
        var result = subscription.Resume;
        if (result.Status != ResumeStatus.Recovered)
        {
            var epochChanged = epoch is not null && !string.Equals(epoch, _broadcaster.Epoch, StringComparison.Ordinal);
            result = epochChanged ? result with { Status = ResumeStatus.EpochChanged } : result;
            _pendingSharedLookup = !epochChanged && settings.SharedHistory is not null ? lastEventId : null;
        }

        Resume = result;
        _reportedDropped = 0;
        if (_pendingSharedLookup is null)
        {
            _broadcaster.CountResume(result);
        }

        return subscription;
    }

    /// <summary>Events to send before the subscription's, from a shared history; and their ids, which live events skip.</summary>
    protected Queue<WebSocketEvent> Replay { get; } = new();

    protected HashSet<string> ReplayedIds { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Finishes a resume this instance's history could not serve by asking the shared one. The replay is what it holds after
    /// the id, then whatever this instance keeps that it does not have yet (this instance's history is all newer than the id,
    /// or the id would have been found), with live events that duplicate either skipped by id.
    /// </summary>
    protected async Task CompleteResumeAsync(CancellationToken cancellationToken)
    {
        if (_pendingSharedLookup is not { } lastEventId)
        {
            return;
        }

        _pendingSharedLookup = null;
        IReadOnlyList<WebSocketEvent>? shared;
        try
        {
            shared = await _broadcaster.Options.SharedHistory!.GetEventsAfterAsync(lastEventId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The shared history is unreachable: say the events could not be recovered rather than fail the connection.
            shared = null;
        }

        if (shared is not null)
        {
            foreach (var evt in shared.Concat(_broadcaster.Manager.GetHistory()))
            {
                if (ReplayedIds.Add(evt.EventId) && Accepts(evt))
                {
                    Replay.Enqueue(evt);
                }
            }

            Resume = new ResumeResult(ResumeStatus.Recovered, lastEventId, Replay.Count);
        }

        _broadcaster.CountResume(Resume!);
    }

    /// <summary>The outcome of the last resume asked for, to tell the client; <see langword="null"/> when it did not ask.</summary>
    public ResumeResult? Resume { get; private set; }

    /// <summary>
    /// The next event to send: first any replayed from a shared history, then the subscription's, passing over those the shared
    /// replay already gave and those <see cref="AlreadySent"/> names.
    /// </summary>
    protected bool TryReadUnsent([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out WebSocketEvent evt)
    {
        if (Replay.TryDequeue(out evt))
        {
            return true;
        }

        while (Subscription.TryRead(out evt))
        {
            if (!AlreadySent(evt) && (ReplayedIds.Count == 0 || !ReplayedIds.Contains(evt.EventId)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether this connection already sent the event before it subscribed again; only a WebSocket client re-subscribes mid-connection.</summary>
    protected virtual bool AlreadySent(WebSocketEvent evt) => false;

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

    /// <summary>
    /// The id a client that has read nothing on this connection resumes from without a gap: the one it resumed after, when
    /// that is being served, otherwise where its subscription started. <see langword="null"/> when the history is off.
    /// </summary>
    public string? StartPosition => Resume is { Status: ResumeStatus.Recovered } || _pendingSharedLookup is not null
        ? Resume!.LastEventId
        : Subscription.Position;

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

        // The subscription is not assigned while a resume replays (the filter runs before Subscribe returns), and a replay
        // never overflows: the replayed events are held beside the queue.
        if (_broadcaster.Options.SlowClientPolicy == SlowClientPolicy.Disconnect
            && Volatile.Read(ref _subscription) is { Dropped: > 0 }
            && Interlocked.Exchange(ref _slowSignalled, 1) == 0)
        {
            // Close off the dispatcher: closing waits on the socket.
            ThreadPool.QueueUserWorkItem(static state => state.client.BeginClose(EventSocketCloseCodes.SlowConsumer, "send queue overflow"), (client: this, 0), preferLocal: false);
        }

        return true;
    }
}
