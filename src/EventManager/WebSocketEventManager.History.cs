using EventManager.History;
using EventManager.Listeners;

namespace EventManager;

/// <summary>Resuming from the history: the kept events after a given one, then live events.</summary>
public sealed partial class WebSocketEventManager
{
    /// <summary>
    /// Subscribes as a pull listener that starts right after the event with id <paramref name="afterEventId"/>: the kept
    /// events after it that the filters select are read first, then live events follow, with no gap and no duplicate
    /// between them. <see cref="EventSubscription.Resume"/> says whether that worked; when it did not (the event is older than
    /// the history, from another epoch, or unknown) the subscription starts live. <see cref="EventSubscription.Position"/> of
    /// any subscription is an id to resume from later, even before it has read an event.
    /// </summary>
    /// <param name="options">Queue and filters; defaults when <see langword="null"/>. The replayed events are held beside the queue, not in it.</param>
    /// <param name="afterEventId">
    /// The id of the last event the consumer has, or an earlier subscription's <see cref="EventSubscription.Position"/>, or
    /// <see langword="null"/> to start live.
    /// </param>
    /// <returns>The subscription.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the exception names it.</exception>
    /// <exception cref="ObjectDisposedException">The manager is disposed.</exception>
    public EventSubscription Subscribe(ListenerOptions? options, string? afterEventId)
    {
        if (afterEventId is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(afterEventId);
        }

        long scannedTo = 0;
        var candidate = afterEventId is null ? 0 : FindWithoutLock(afterEventId, out scannedTo);
        List<WebSocketEvent>? replay = null;
        Listener listener;
        ResumeResult result;
        string? position;
        lock (_historyGate)
        {
            // The dispatcher appends to the history and reads the listeners under this lock, so every event is either in the
            // replay below or delivered live to the new listener, never both and never neither. Only the lookup and the
            // registration happen here: the filters are user code and run after the lock is released.
            result = afterEventId is null ? ResumeResult.Live : Lookup(afterEventId, candidate, scannedTo, out replay);
            replay ??= [];
            listener = Register(null, null, options);
            position = result.Status == ResumeStatus.Recovered ? afterEventId : _history?.NewestPosition;
        }

        var selected = replay.Count == 0 ? [] : replay.FindAll(listener.Accepts);
        if (InjectedFault.ReplaySkip && selected.Count > 1)
        {
            selected.RemoveAt(0);
        }

        return new EventSubscription(this, listener, result with { Replayed = selected.Count }, selected, position, _abort.Token);
    }

    /// <summary>
    /// The kept events after the event with id <paramref name="afterEventId"/>, oldest first, as a list (for live events as well,
    /// use <see cref="Subscribe(ListenerOptions?, string?)"/>).
    /// </summary>
    /// <param name="afterEventId">The id of the last event the caller has.</param>
    /// <param name="events">The events after it; empty unless the result is <see cref="ResumeStatus.Recovered"/>.</param>
    /// <returns>Whether the event was found.</returns>
    public ResumeResult GetEventsAfter(string afterEventId, out IReadOnlyList<WebSocketEvent> events)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(afterEventId);
        var candidate = FindWithoutLock(afterEventId, out var scannedTo);
        lock (_historyGate)
        {
            var result = Lookup(afterEventId, candidate, scannedTo, out var found);
            events = found;
            return result with { Replayed = found.Count };
        }
    }

    /// <summary>Every event the history keeps now, oldest first.</summary>
    /// <returns>The events; empty when the history is off.</returns>
    public IReadOnlyList<WebSocketEvent> GetHistory()
    {
        lock (_historyGate)
        {
            return _history?.GetAll() ?? [];
        }
    }

    /// <summary>On the dispatcher: keeps a batch of stamped events and reads the listeners to deliver them to, in one step.</summary>
    private Listener[] Record(ReadOnlySpan<WebSocketEvent> batch)
    {
        if (_history is null)
        {
            return Volatile.Read(ref _listeners);
        }

        lock (_historyGate)
        {
            _history.Append(batch);
            return Volatile.Read(ref _listeners);
        }
    }

    /// <summary>
    /// Scans the history for the id without holding the lock, so a long history does not stall the dispatcher. Returns the
    /// sequence found (0 for none) and how far the scan reached; <see cref="Lookup"/> scans what was appended since.
    /// </summary>
    private long FindWithoutLock(string eventId, out long scannedTo)
    {
        scannedTo = 0;
        if (_history is null)
        {
            return 0;
        }

        long first;
        lock (_historyGate)
        {
            first = _history.First;
            scannedTo = _history.Next;
        }

        return _history.FindLatest(eventId, first, scannedTo);
    }

    /// <summary>Under the history lock: confirms or completes the unlocked scan and reads the events after the one found.</summary>
    private ResumeResult Lookup(string afterEventId, long candidate, long scannedTo, out List<WebSocketEvent> events)
    {
        if (_history is not null)
        {
            var newer = _history.FindLatest(afterEventId, Math.Max(scannedTo, _history.First), _history.Next);
            var found = newer != 0 ? newer : candidate;
            if (found != 0 && _history.Holds(found, afterEventId))
            {
                events = _history.After(found);
                return new ResumeResult(ResumeStatus.Recovered, afterEventId, events.Count);
            }

            // Not kept, but right before everything kept: the stream's start (the epoch, a subscription's position before the
            // first event) or the event evicted last (such as a quiet stream's newest, expired by age): nothing after it was lost.
            if (_history.IsRightBeforeOldest(afterEventId, out var before))
            {
                events = _history.After(before);
                return new ResumeResult(ResumeStatus.Recovered, afterEventId, events.Count);
            }
        }

        events = [];

        // Ids made by this library are version 7 GUIDs, which carry their creation time: that tells "too old" and "from before
        // this stream began" apart from an id this stream never had.
        var status = ResumeStatus.Unknown;
        if (EventIds.TryGetTimestamp(afterEventId, out var created))
        {
            var oldest = _history?.OldestEventId is { } id && EventIds.TryGetTimestamp(id, out var kept) ? kept : (DateTimeOffset?)null;
            status = created < _startedAt ? ResumeStatus.EpochChanged
                : _history is null || (oldest is { } o && created <= o) ? ResumeStatus.HistoryExceeded
                : ResumeStatus.Unknown;
        }

        return new ResumeResult(status, afterEventId, 0);
    }
}
