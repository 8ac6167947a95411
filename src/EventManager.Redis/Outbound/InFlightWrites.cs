namespace EventManager.Redis;

/// <summary>
/// Writes to Redis whose replies have not been read yet: each event with its pending write, oldest first, in the order they
/// were written. Used by the outbound loop only.
/// </summary>
internal sealed class InFlightWrites(int capacity)
{
    private readonly WebSocketEvent[] _events = new WebSocketEvent[capacity];
    private readonly Task<long>[] _writes = new Task<long>[capacity];
    private int _start;
    private int _end;

    public int Count => _end - _start;

    /// <summary>How many more writes fit.</summary>
    public int Room => _events.Length - Count;

    public WebSocketEvent OldestEvent => _events[_start];

    public Task<long> OldestWrite => _writes[_start];

    public void Add(WebSocketEvent evt, Task<long> write)
    {
        if (_end == _events.Length)
        {
            Compact();
        }

        _events[_end] = evt;
        _writes[_end++] = write;
    }

    public void RemoveOldest()
    {
        _events[_start] = null!;
        _writes[_start] = null!;
        if (++_start == _end)
        {
            _start = _end = 0;
        }
    }

    /// <summary>Waits until every write has ended, however; false when <paramref name="abort"/> came first.</summary>
    public Task<bool> AllCompletedAsync(CancellationToken abort) => BatchWriter.AllCompletedAsync(_writes, _start, _end, abort);

    /// <summary>Moves the events, oldest first, to the start of <paramref name="destination"/> and forgets every write.</summary>
    /// <returns>How many events were moved.</returns>
    public int MoveEventsTo(WebSocketEvent[] destination)
    {
        var count = Count;
        Array.Copy(_events, _start, destination, 0, count);
        Clear();
        return count;
    }

    public void Clear()
    {
        Array.Clear(_events, 0, _end);
        Array.Clear(_writes, 0, _end);
        _start = _end = 0;
    }

    private void Compact()
    {
        var count = Count;
        Array.Copy(_events, _start, _events, 0, count);
        Array.Copy(_writes, _start, _writes, 0, count);
        Array.Clear(_events, count, _end - count);
        Array.Clear(_writes, count, _end - count);
        (_start, _end) = (0, count);
    }
}
