namespace EventManager.Redis;

/// <summary>The last N event ids received, oldest forgotten first. Used by the single inbound loop only.</summary>
internal sealed class RecentEventIds(int capacity)
{
    private readonly HashSet<string> _ids = new(capacity, StringComparer.Ordinal);
    private readonly Queue<string> _order = new(capacity);

    /// <summary>Remembers the id; false when it is already remembered.</summary>
    public bool TryAdd(string eventId)
    {
        if (!_ids.Add(eventId))
        {
            return false;
        }

        _order.Enqueue(eventId);
        if (_order.Count > capacity)
        {
            _ids.Remove(_order.Dequeue());
        }

        return true;
    }
}
