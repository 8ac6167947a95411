namespace EventManager.History;

/// <summary>
/// The last events the dispatcher delivered, bounded by count and age. Positions are the manager's sequence numbers,
/// which have no gaps, so the ring is indexed by sequence and appending is a store into it: no index by id is kept on
/// the hot path. Finding an event by id (a resume, which is rare) scans the ring newest first instead.
/// </summary>
/// <remarks>
/// Every member runs under the manager's history lock except <see cref="FindLatest"/>, which may scan without it
/// between bounds read under it; the caller then confirms the hit under the lock with <see cref="Holds"/>.
/// </remarks>
/// <param name="capacity">How many events are kept.</param>
/// <param name="maxAge">How long an event is kept.</param>
/// <param name="time">The clock for the age.</param>
/// <param name="streamStartId">The id that stands for the position before the stream's first event (the manager's epoch).</param>
internal sealed class EventHistory(int capacity, TimeSpan maxAge, TimeProvider time, string streamStartId)
{
    // Slots are written only by the dispatcher, under the lock; an unlocked scan reads each reference atomically.
    private readonly Entry[] _ring = new Entry[capacity];
    private long _first = 1;
    private long _next = 1;
    private string _newestEventId = streamStartId;

    // The id of the position right before the oldest kept event: the stream's start, then the event evicted last (by count or
    // age). Resuming after it loses nothing.
    private string _beforeOldestId = streamStartId;

    /// <summary>The sequence of the oldest event kept (equal to <see cref="Next"/> when empty).</summary>
    public long First => _first;

    /// <summary>One past the sequence of the newest event kept.</summary>
    public long Next => Volatile.Read(ref _next);

    public int Count => (int)(_next - _first);

    /// <summary>The position after everything appended so far: the newest event's id, even when its age has expired it, or the stream's start.</summary>
    public string NewestPosition => _newestEventId;

    /// <summary>
    /// Whether <paramref name="eventId"/> is the position right before the oldest kept event (the stream's start, or the event
    /// evicted last), and if so the sequence to read after.
    /// </summary>
    public bool IsRightBeforeOldest(string eventId, out long sequence)
    {
        Expire(time.GetTimestamp());
        sequence = _first - 1;
        return string.Equals(eventId, _beforeOldestId, StringComparison.Ordinal);
    }

    /// <summary>The id of the oldest event kept, or <see langword="null"/> when empty.</summary>
    public string? OldestEventId
    {
        get
        {
            Expire(time.GetTimestamp());
            return Count == 0 ? null : Slot(_first).Event!.EventId;
        }
    }

    /// <summary>Appends events stamped with consecutive sequence numbers, all added at one instant (one clock read per batch).</summary>
    public void Append(ReadOnlySpan<WebSocketEvent> events)
    {
        if (events.IsEmpty)
        {
            return;
        }

        var now = time.GetTimestamp();
        foreach (var evt in events)
        {
            var sequence = evt.Sequence;
            if (Count == _ring.Length)
            {
                _beforeOldestId = Slot(_first).Event!.EventId;
                _first++;
            }
            else if (Count == 0)
            {
                _first = sequence;
            }

            ref var slot = ref Slot(sequence);
            slot.Added = now;
            Volatile.Write(ref slot.Event, evt);
            Volatile.Write(ref _next, sequence + 1);
        }

        _newestEventId = events[^1].EventId;
        Expire(now);
    }

    /// <summary>
    /// The sequence of the newest event with this id among the slots from <paramref name="from"/> to before <paramref name="to"/>,
    /// or 0. Safe without the lock; a hit found that way must be confirmed with <see cref="Holds"/> under it.
    /// </summary>
    public long FindLatest(string eventId, long from, long to)
    {
        from = Math.Max(from, to - _ring.Length);
        for (var sequence = to - 1; sequence >= from; sequence--)
        {
            var evt = Volatile.Read(ref Slot(sequence).Event);
            if (evt is not null && evt.Sequence == sequence && string.Equals(evt.EventId, eventId, StringComparison.Ordinal))
            {
                return sequence;
            }
        }

        return 0;
    }

    /// <summary>Whether the event at <paramref name="sequence"/> is still kept and has this id.</summary>
    public bool Holds(long sequence, string eventId)
    {
        Expire(time.GetTimestamp());
        return sequence >= _first && sequence < _next && string.Equals(Slot(sequence).Event!.EventId, eventId, StringComparison.Ordinal);
    }

    /// <summary>The events after <paramref name="sequence"/>, oldest first.</summary>
    public List<WebSocketEvent> After(long sequence)
    {
        var start = Math.Max(sequence + 1, _first);
        var events = new List<WebSocketEvent>((int)Math.Max(0, _next - start));
        for (var s = start; s < _next; s++)
        {
            events.Add(Slot(s).Event!);
        }

        return events;
    }

    public List<WebSocketEvent> GetAll()
    {
        Expire(time.GetTimestamp());
        return After(_first - 1);
    }

    private ref Entry Slot(long sequence) => ref _ring[(int)(sequence % _ring.Length)];

    private void Expire(long now)
    {
        if (maxAge == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        while (Count > 0 && time.GetElapsedTime(Slot(_first).Added, now) > maxAge)
        {
            // Released so an expired event does not stay reachable until its slot is reused.
            _beforeOldestId = Slot(_first).Event!.EventId;
            Slot(_first) = default;
            _first++;
        }
    }

    private struct Entry
    {
        public WebSocketEvent? Event;
        public long Added;
    }
}
