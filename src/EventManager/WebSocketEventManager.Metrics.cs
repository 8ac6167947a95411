using System.Globalization;
using EventManager.Listeners;

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

    /// <summary>
    /// Events dropped by the ingress and by every listener but socket clients, removed listeners included: a count that only
    /// rises, for the health check.
    /// </summary>
    internal long DroppedOutsideSocketClients()
    {
        lock (_gate)
        {
            var dropped = _retiredDropped - _retiredSocketClientDropped + Volatile.Read(ref _ingressDropped) + _ingressDrops.Total;
            foreach (var listener in _registry.Values)
            {
                if (!Health.EventManagerHealthCheck.IsSocketClient(listener.Name))
                {
                    dropped += listener.Snapshot().Dropped;
                }
            }

            return dropped;
        }
    }

    /// <summary>The queue holding the largest share of its capacity now: the ingress, or the listener's (by name or id) of those <paramref name="counts"/> accepts.</summary>
    /// <returns>The queue's name, how many events it holds and how many it can hold.</returns>
    internal (string Queue, int Depth, int Capacity) FullestQueue(Func<Listener, bool> counts)
    {
        var fullest = ("ingress", _ingress.Reader.Count, _ingressCapacity);
        foreach (var listener in Volatile.Read(ref _listeners))
        {
            if (!counts(listener))
            {
                continue;
            }

            var pending = listener.Pending;
            if ((long)pending * fullest.Item3 > (long)fullest.Item2 * listener.Capacity)
            {
                fullest = ("listener " + (listener.Name ?? listener.Id.ToString(CultureInfo.InvariantCulture)), pending, listener.Capacity);
            }
        }

        return fullest;
    }
}
