namespace EventManager;

/// <summary>The manager's figures: running totals and a snapshot per listener.</summary>
public sealed partial class WebSocketEventManager
{
    /// <summary>The running totals, without the per-listener snapshot of <see cref="GetMetrics"/> and without allocating.</summary>
    /// <returns>The totals.</returns>
    public EventManagerTotals GetTotals() => new(
        Volatile.Read(ref _published.Value),
        Volatile.Read(ref _dispatched),
        Volatile.Read(ref _ingressDropped) + _ingressDrops.Total,
        _ingress.Reader.Count);

    /// <summary>Takes a snapshot of the counters. The same figures are published on the <c>EventManager</c> meter.</summary>
    /// <returns>The snapshot.</returns>
    public EventManagerMetrics GetMetrics()
    {
        lock (_gate)
        {
            var delivered = _retiredDelivered;
            var dropped = _retiredDropped + Volatile.Read(ref _ingressDropped) + _ingressDrops.Total;
            var errors = _retiredErrors;
            var listeners = new List<ListenerMetrics>(_registry.Count);
            foreach (var listener in _registry.Values)
            {
                var figures = listener.Snapshot();
                delivered += figures.Delivered;
                dropped += figures.Dropped;
                errors += figures.Errors;
                if (!listener.IsRemoved)
                {
                    listeners.Add(figures);
                }
            }

            return new EventManagerMetrics(
                Volatile.Read(ref _published.Value),
                Volatile.Read(ref _dispatched),
                delivered,
                dropped,
                Volatile.Read(ref _rejected),
                errors,
                _ingress.Reader.Count,
                listeners);
        }
    }
}
