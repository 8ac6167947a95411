using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace EventManager.Sockets;

/// <summary>
/// Everything about where one client is in the stream, for WebSocket and SSE alike: its subscription to the manager, a resume
/// asked for at connect time or by a <c>resume</c> frame, the replay from a shared history when this instance's is not enough,
/// the events already sent that a re-subscription must not send again, and the drops not yet reported.
/// </summary>
/// <remarks>
/// Owned by the client's send side (the send loop, or the SSE writer), except where a member says otherwise: the receive loop
/// only hands over requests with <see cref="Request"/>, and the manager's dispatcher only reads the subscription to detect an
/// overflow under <see cref="SlowClientPolicy.Disconnect"/>.
/// </remarks>
internal sealed class ResumeCoordinator : IDisposable
{
    private readonly ClientConnection _connection;
    private readonly Action _onOverflow;
    // Written by the send side, read by the dispatcher.
    private EventSubscription _subscription;
    private int _overflowSignalled;

    // Send side only. The replay from a shared history, and the ids it held, which live events skip.
    private Queue<WebSocketEvent> _replay = new();
    private HashSet<string> _replayedIds = new(StringComparer.Ordinal);
    private string? _pendingSharedLookup;
    private long _reportedDropped;
    private readonly SentSequences _sent = new();
    private bool _skipSent;

    // Written by the receive loop, taken by the send side.
    private ResumeRequest? _requested;

    // Made and replaced by the send side, cancelled by the receive loop when it hands a request over.
    private CancellationTokenSource? _wake;

    /// <summary>Subscribes at once, after <see cref="ClientConnectionOptions.LastEventId"/> when the client gave one.</summary>
    /// <param name="connection">The client.</param>
    /// <param name="onOverflow">Called once, on the thread pool, when the queue overflows under <see cref="SlowClientPolicy.Disconnect"/>.</param>
    public ResumeCoordinator(ClientConnection connection, Action onOverflow)
    {
        _connection = connection;
        _onOverflow = onOverflow;
        _subscription = Subscribe(connection.Options.LastEventId, connection.Options.Epoch, out var result);
        Resume = result;
    }

    /// <summary>The client's pull listener.</summary>
    public EventSubscription Subscription => Volatile.Read(ref _subscription);

    /// <summary>The outcome of the last resume asked for, to tell the client; <see langword="null"/> when it did not ask.</summary>
    public ResumeResult? Resume { get; private set; }

    /// <summary>
    /// The id a client that has read nothing on this connection resumes from without a gap: the one it resumed after, when that
    /// is being served, otherwise where its subscription started. <see langword="null"/> when the history is off.
    /// </summary>
    public string? StartPosition => Resume is { Status: ResumeStatus.Recovered } || _pendingSharedLookup is not null
        ? Resume!.LastEventId
        : Subscription.Position;

    /// <summary>Whether the receive loop handed over a <c>resume</c> not applied yet.</summary>
    public bool HasRequest => Volatile.Read(ref _requested) is not null;

    /// <summary>
    /// On the send side: a token cancelled when <paramref name="lifetime"/> is, or when a request is handed over. Get it before
    /// checking <see cref="HasRequest"/>, so a request made in between still cancels the wait.
    /// </summary>
    public CancellationToken RequestOrClose(CancellationToken lifetime)
    {
        var wake = Volatile.Read(ref _wake);
        if (wake is null || (wake.IsCancellationRequested && !lifetime.IsCancellationRequested))
        {
            // A full fence, as Request's exchange is, so one of the two always sees the other's write.
            Interlocked.Exchange(ref _wake, CancellationTokenSource.CreateLinkedTokenSource(lifetime))?.Dispose();
        }

        return _wake!.Token;
    }

    /// <summary>On the receive loop: asks the send side to resume after <paramref name="lastEventId"/>.</summary>
    public void Request(string lastEventId, string? epoch)
    {
        Interlocked.Exchange(ref _requested, new ResumeRequest(lastEventId, epoch));
        try
        {
            Volatile.Read(ref _wake)?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Replaced meanwhile: the send side checks for a request after replacing it.
        }
    }

    /// <summary>
    /// Finishes a resume this instance's history could not serve by asking the shared one. The replay is what it holds after the
    /// id, then whatever this instance keeps that it does not have yet (this instance's history is all newer than the id, or the
    /// id would have been found), with live events that duplicate either skipped by id.
    /// </summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        if (_pendingSharedLookup is not { } lastEventId)
        {
            return;
        }

        IReadOnlyList<WebSocketEvent>? shared;
        try
        {
            shared = await _connection.Broadcaster.Options.SharedHistory!.GetEventsAfterAsync(lastEventId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The shared history is unreachable (or gave up on its own): say the events could not be recovered rather than
            // fail the connection.
            shared = null;
        }

        _pendingSharedLookup = null;
        if (shared is not null)
        {
            var replay = new Queue<WebSocketEvent>();
            var ids = new HashSet<string>(StringComparer.Ordinal);
            foreach (var evt in shared.Concat(_connection.Broadcaster.Manager.GetHistory()))
            {
                if (ids.Add(evt.EventId) && _connection.Accepts(evt))
                {
                    replay.Enqueue(evt);
                }
            }

            (_replay, _replayedIds) = (replay, ids);
            Resume = new ResumeResult(ResumeStatus.Recovered, lastEventId, replay.Count);
        }

        _connection.Broadcaster.CountResume(Resume!);
    }

    /// <summary>
    /// Applies the request handed over by the receive loop, once a replay from a shared history still being sent is done. When it
    /// recovers, the new subscription replaces the old one and the events this connection already sent are not sent again; when
    /// it does not, the client keeps the queue it has rather than start again from now. Either way <see cref="Resume"/> says
    /// what happened.
    /// </summary>
    /// <returns>Whether a request was applied, and is to be reported.</returns>
    /// <exception cref="OperationCanceledException">The client is closing.</exception>
    public async Task<bool> ApplyRequestAsync(CancellationToken cancellationToken)
    {
        if (_replay.Count > 0 || Interlocked.Exchange(ref _requested, null) is not { } request)
        {
            return false;
        }

        var previous = Subscription;
        var next = Subscribe(request.LastEventId, request.Epoch, out var result);
        Resume = result;
        try
        {
            await CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            next.Dispose();
            throw;
        }

        if (Resume!.Status != ResumeStatus.Recovered)
        {
            next.Dispose();
            return true;
        }

        Volatile.Write(ref _subscription, next);
        _reportedDropped = 0;
        previous.Dispose();
        _skipSent = true;
        return true;
    }

    /// <summary>
    /// The next event to send: first any replayed from a shared history, then the subscription's, passing over those the shared
    /// replay already gave and those this connection sent before it re-subscribed.
    /// </summary>
    public bool TryReadUnsent([MaybeNullWhen(false)] out WebSocketEvent evt)
    {
        if (_replay.TryDequeue(out evt))
        {
            return true;
        }

        var subscription = Subscription;
        while (subscription.TryRead(out evt))
        {
            if (!SentBefore(evt))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <see cref="TryReadUnsent"/> for a batch: adds events to <paramref name="batch"/> until it holds <paramref name="max"/> or
    /// nothing is queued, taking them from the subscription many at a time.
    /// </summary>
    /// <returns>How many events <paramref name="batch"/> holds.</returns>
    public int ReadUnsent(List<WebSocketEvent> batch, int max)
    {
        while (batch.Count < max && _replay.TryDequeue(out var replayed))
        {
            batch.Add(replayed);
        }

        var subscription = Subscription;
        while (batch.Count < max)
        {
            var start = batch.Count;
            CollectionsMarshal.SetCount(batch, max);
            var events = CollectionsMarshal.AsSpan(batch);
            var read = subscription.TryReadMany(events[start..]);
            var kept = start;
            for (var i = start; i < start + read; i++)
            {
                if (!SentBefore(events[i]))
                {
                    events[kept++] = events[i];
                }
            }

            CollectionsMarshal.SetCount(batch, kept);
            if (read == 0)
            {
                break;
            }
        }

        return batch.Count;
    }

    /// <summary>Whether a live event was sent before this connection re-subscribed, or was in a replay from a shared history.</summary>
    private bool SentBefore(WebSocketEvent evt) =>
        (_skipSent && _sent.Contains(evt.Sequence)) || (_replayedIds.Count > 0 && _replayedIds.Contains(evt.EventId));

    /// <summary>Remembers the positions sent, so a later re-subscription skips them; events from a shared history have another instance's sequence and are left out.</summary>
    public void RecordSent(List<WebSocketEvent> batch)
    {
        foreach (var evt in batch)
        {
            if (_replayedIds.Count > 0 && _replayedIds.Contains(evt.EventId))
            {
                continue;
            }

            _sent.Add(evt.Sequence);
        }
    }

    /// <summary>Events dropped from this client's queue since the last call, counted in the broadcaster's metrics.</summary>
    public long TakeNewDrops(out long total)
    {
        total = Subscription.Dropped;
        var missed = total - _reportedDropped;
        _reportedDropped = total;
        if (missed > 0)
        {
            _connection.Broadcaster.CountDropped(missed);
        }

        return missed;
    }

    /// <summary>
    /// Writes the frame that tells the client how its resume went: <c>resumed</c>, or an <c>error</c> for an id this stream never
    /// had. Returns the frame's type, or <see langword="null"/> (writing nothing) when the client did not ask to resume.
    /// </summary>
    public string? WriteReport(IBufferWriter<byte> buffer)
    {
        if (Resume is not { } result)
        {
            return null;
        }

        if (result.Status == ResumeStatus.Unknown)
        {
            Frames.Error(buffer, "unknown_event_id", $"no event '{result.LastEventId}' in this stream; continuing with live events", "last_event_id");
            return "error";
        }

        Frames.Resumed(buffer, result, _connection.Broadcaster.Epoch);
        return "resumed";
    }

    /// <summary>
    /// Under <see cref="SlowClientPolicy.Disconnect"/>, after the queue dropped events, starts closing the client and returns
    /// <see langword="true"/>: the send side then stops instead of sending a <c>gap</c>.
    /// </summary>
    public bool ClosesOnOverflow(long missed)
    {
        if (missed <= 0 || _connection.Broadcaster.Options.SlowClientPolicy != SlowClientPolicy.Disconnect)
        {
            return false;
        }

        SignalOverflow();
        return true;
    }

    /// <summary>Ends the subscription and counts what it and a replay from a shared history still held as dropped.</summary>
    public void Dispose()
    {
        _wake?.Dispose();
        Subscription.Dispose();
        TakeNewDrops(out _);
        if (_replay.Count > 0)
        {
            _connection.Broadcaster.CountDropped(_replay.Count);
            _replay.Clear();
        }
    }

    private EventSubscription Subscribe(string? lastEventId, string? epoch, out ResumeResult? result)
    {
        var broadcaster = _connection.Broadcaster;
        var settings = broadcaster.Options;
        var listener = new ListenerOptions
        {
            // The manager's health check recognises socket clients by this prefix and leaves their drops to the sockets check.
            Name = "client:" + _connection.Id,
            Capacity = settings.SendQueueCapacity,
            OverflowPolicy = settings.SlowClientPolicy == SlowClientPolicy.Disconnect ? OverflowPolicy.DropNewest : OverflowPolicy.DropOldest,
            Filter = settings.SlowClientPolicy == SlowClientPolicy.Disconnect ? AcceptsUnlessOverflowing : _connection.Accepts,
        };
        _pendingSharedLookup = null;
        result = null;
        if (lastEventId is null)
        {
            return broadcaster.Manager.Subscribe(listener, null);
        }

        // An id found in the history is proof enough (ids are unique); the epoch only explains an id that is not.
        var subscription = broadcaster.Manager.Subscribe(listener, lastEventId);
        result = subscription.Resume;
        if (result.Status != ResumeStatus.Recovered)
        {
            var epochChanged = epoch is not null && !string.Equals(epoch, broadcaster.Epoch, StringComparison.Ordinal);
            result = epochChanged ? result with { Status = ResumeStatus.EpochChanged } : result;
            _pendingSharedLookup = !epochChanged && settings.SharedHistory is not null ? lastEventId : null;
        }

        if (_pendingSharedLookup is null)
        {
            broadcaster.CountResume(result);
        }

        return subscription;
    }

    /// <summary>
    /// The filter under <see cref="SlowClientPolicy.Disconnect"/>: once the queue has dropped an event the client is closed. A
    /// replay never overflows (the replayed events are held beside the queue), and while one runs the subscription being made
    /// is not assigned yet, so the one read here is the current one.
    /// </summary>
    private bool AcceptsUnlessOverflowing(WebSocketEvent evt)
    {
        if (!_connection.Accepts(evt))
        {
            return false;
        }

        if (Volatile.Read(ref _subscription) is { Dropped: > 0 })
        {
            SignalOverflow();
        }

        return true;
    }

    /// <summary>Closing waits on the client's transport: never on the dispatcher, and only once.</summary>
    private void SignalOverflow()
    {
        if (Interlocked.Exchange(ref _overflowSignalled, 1) == 0)
        {
            ThreadPool.QueueUserWorkItem(static self => self.CloseForOverflow(), this, preferLocal: false);
        }
    }

    // Logged as a send timeout is: an operator should see a client cut off for falling behind, not only its close code.
    private void CloseForOverflow()
    {
        Log.ClientViolation(_connection.Broadcaster.Logger, _connection.Id, EventSocketCloseCodes.SlowConsumer, "send queue overflow");
        _onOverflow();
    }

    private sealed record ResumeRequest(string LastEventId, string? Epoch);
}
