using System.Diagnostics.Metrics;

namespace EventManager.Diagnostics;

/// <summary>Publishes a manager's counters on the <c>EventManager</c> meter, read from <see cref="WebSocketEventManager.GetMetrics"/> when collected.</summary>
internal sealed class EventManagerInstruments : IDisposable
{
    public const string MeterName = "EventManager";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    public EventManagerInstruments(WebSocketEventManager manager, IMeterFactory? meterFactory)
    {
        var instanceTag = new KeyValuePair<string, object?>("eventmanager.instance", manager.InstanceId);
        var options = new MeterOptions(MeterName)
        {
            Version = typeof(WebSocketEventManager).Assembly.GetName().Version?.ToString(),
            Tags = [instanceTag],
        };
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(options) ?? new Meter(options);

        _meter.CreateObservableCounter("eventmanager.events.published", () => manager.GetTotals().Published, "{event}", "Events accepted by a publish call.");
        _meter.CreateObservableCounter("eventmanager.events.dispatched", () => manager.GetTotals().Dispatched, "{event}", "Events stamped and fanned out by the dispatcher.");
        _meter.CreateObservableCounter("eventmanager.events.delivered", () => manager.GetMetrics().Delivered, "{event}", "Handler calls that completed.");
        _meter.CreateObservableCounter("eventmanager.events.dropped", () => manager.GetMetrics().Dropped, "{event}", "Events dropped by an overflow policy, a removal or a shutdown timeout.");
        _meter.CreateObservableCounter("eventmanager.events.rejected", () => manager.GetMetrics().Rejected, "{event}", "TryPublish calls refused because the ingress queue was full.");
        _meter.CreateObservableCounter("eventmanager.listener.errors", () => manager.GetMetrics().ListenerErrors, "{error}", "Handler calls and filters that threw.");
        _meter.CreateObservableUpDownCounter("eventmanager.queue.depth", () => manager.GetTotals().QueueDepth, "{event}", "Events waiting in the ingress queue.");
        _meter.CreateObservableUpDownCounter("eventmanager.listeners", () => manager.ListenerCount, "{listener}", "Registered listeners.");
        _meter.CreateObservableCounter("eventmanager.listener.delivered", () => PerListener(manager, l => l.Delivered), "{event}", "Handler calls that completed, by listener.");
        _meter.CreateObservableCounter("eventmanager.listener.dropped", () => PerListener(manager, l => l.Dropped), "{event}", "Events dropped by a listener's queue, by listener.");
        _meter.CreateObservableUpDownCounter("eventmanager.listener.pending", () => PerListener(manager, l => l.Pending), "{event}", "Events waiting in a listener's queue, by listener.");
        _meter.CreateObservableCounter("eventmanager.listener.handler_errors", () => PerListener(manager, l => l.Errors), "{error}", "Handler calls and filters that threw, by listener.");
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private static IEnumerable<Measurement<long>> PerListener(WebSocketEventManager manager, Func<ListenerMetrics, long> value) =>
        manager.GetMetrics().Listeners.Select(l => new Measurement<long>(
            value(l),
            new KeyValuePair<string, object?>("listener.id", l.Id),
            new KeyValuePair<string, object?>("listener.name", l.Name)));
}
