namespace EventManager.History;

/// <summary>
/// The last events the dispatcher delivered, bounded by count and age, found by event id. Positions are the manager's
/// sequence numbers, which have no gaps, so the ring is indexed by sequence. Used under the manager's history lock.
/// </summary>
internal sealed class EventHistory(int capacity, TimeSpan maxAge, TimeProvider time)
{
    private readonly (WebSocketEvent Event, long Added)[] _ring = new (WebSocketEvent, long)[capacity];
    private readonly Dictionary<string, long> _sequenceById = new(capacity, StringComparer.Ordinal);
    private long _first = 1;
    private long _next = 1;

    public int Count => (int)(_next - _first);

    /// <summary>The id of the oldest event kept, or <see langword="null"/> when empty.</summary>
    public string? OldestEventId
    {
        get
        {
            Expire();
            return Count == 0 ? null : Slot(_first).Event.EventId;
        }
    }

    public void Append(WebSocketEvent evt)
    {
        if (Count == _ring.Length)
        {
            Evict();
        }

        var sequence = evt.Sequence;
        if (Count == 0)
        {
            _first = sequence;
        }

        _next = sequence + 1;
        Slot(sequence) = (evt, time.GetTimestamp());

        // An id published twice (another client reusing ids) keeps its latest position.
        _sequenceById[evt.EventId] = sequence;
        Expire();
    }

    /// <summary>The events after the one with this id, oldest first; false when that event is not (or no longer) kept.</summary>
    public bool TryGetAfter(string eventId, out List<WebSocketEvent> events)
    {
        Expire();
        if (!_sequenceById.TryGetValue(eventId, out var sequence) || sequence < _first)
        {
            events = [];
            return false;
        }

        events = new List<WebSocketEvent>((int)(_next - sequence - 1));
        for (var s = sequence + 1; s < _next; s++)
        {
            events.Add(Slot(s).Event);
        }

        return true;
    }

    public List<WebSocketEvent> GetAll()
    {
        Expire();
        var events = new List<WebSocketEvent>(Count);
        for (var s = _first; s < _next; s++)
        {
            events.Add(Slot(s).Event);
        }

        return events;
    }

    private ref (WebSocketEvent Event, long Added) Slot(long sequence) => ref _ring[(int)(sequence % _ring.Length)];

    private void Expire()
    {
        if (maxAge == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        while (Count > 0 && time.GetElapsedTime(Slot(_first).Added) > maxAge)
        {
            Evict();
        }
    }

    private void Evict()
    {
        ref var slot = ref Slot(_first);
        if (_sequenceById.TryGetValue(slot.Event.EventId, out var kept) && kept == _first)
        {
            _sequenceById.Remove(slot.Event.EventId);
        }

        slot = default;
        _first++;
    }
}
