using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EventManager.Tests.Support;

namespace EventManager.Tests;

public class MetricsTests
{
    [Test]
    public async Task GetMetrics_AfterTraffic_ReportsPerListenerFigures()
    {
        await using var manager = new WebSocketEventManager();
        var a = manager.AddListener(_ => { }, new ListenerOptions { Name = "ok", OverflowPolicy = OverflowPolicy.Wait });
        var b = manager.AddListener(_ => throw new InvalidOperationException(), new ListenerOptions { Name = "bad", OverflowPolicy = OverflowPolicy.Wait });

        for (var i = 0; i < 10; i++)
        {
            manager.Publish(Events.Custom());
        }

        await Eventually.Until(() => manager.GetMetrics() is { Delivered: 10, ListenerErrors: 10 }, "all handled");
        var metrics = manager.GetMetrics();
        Assert.Multiple(() =>
        {
            Assert.That(metrics.Published, Is.EqualTo(10));
            Assert.That(metrics.Dispatched, Is.EqualTo(10));
            Assert.That(metrics.QueueDepth, Is.Zero);
            Assert.That(metrics.Listeners.Select(l => (l.Id, l.Name, l.Delivered, l.Errors, l.Pending, l.Dropped)), Is.EquivalentTo(new[]
            {
                (a, (string?)"ok", 10L, 0L, 0, 0L),
                (b, (string?)"bad", 0L, 10L, 0, 0L),
            }));
        });
    }

    [Test]
    public async Task GetMetrics_RemovedListener_KeepsItsCountsInTotals()
    {
        await using var manager = new WebSocketEventManager();
        var id = manager.AddListener(_ => { });
        manager.Publish(Events.Custom());
        await Eventually.Until(() => manager.GetMetrics().Delivered == 1, "delivered");

        manager.RemoveListener(id);

        await Eventually.Until(() => manager.GetMetrics().Listeners.Count == 0, "the listener is gone from the list");
        Assert.That(manager.GetMetrics().Delivered, Is.EqualTo(1));
    }

    [Test]
    public async Task Meter_EventManager_PublishesTheSameFigures()
    {
        await using var manager = new WebSocketEventManager(new EventManagerOptions { InstanceId = "meter-test" });
        manager.AddListener(_ => { }, new ListenerOptions { Name = "metered" });
        for (var i = 0; i < 3; i++)
        {
            manager.Publish(Events.Custom());
        }

        await Eventually.Until(() => manager.GetMetrics().Delivered == 3, "delivered");
        var seen = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "EventManager" && instrument.Meter.Tags?.Any(t => Equals(t.Value, "meter-test")) == true)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => seen[instrument.Name] = value);
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => seen[instrument.Name] = value);
        listener.Start();

        listener.RecordObservableInstruments();

        Assert.Multiple(() =>
        {
            Assert.That(seen["eventmanager.events.published"], Is.EqualTo(3));
            Assert.That(seen["eventmanager.events.delivered"], Is.EqualTo(3));
            Assert.That(seen["eventmanager.events.dropped"], Is.Zero);
            Assert.That(seen["eventmanager.listener.errors"], Is.Zero);
            Assert.That(seen["eventmanager.queue.depth"], Is.Zero);
            Assert.That(seen["eventmanager.listeners"], Is.EqualTo(1));
            Assert.That(seen["eventmanager.listener.delivered"], Is.EqualTo(3));
            Assert.That(seen.Keys, Does.Contain("eventmanager.listener.pending"));
        });
    }

    [Test]
    public async Task ToString_WithAListener_PrintsEachListenersFigures()
    {
        await using var manager = new WebSocketEventManager();
        manager.AddListener(_ => { }, new ListenerOptions { Name = "printer" });
        manager.Publish(Events.Custom());
        await Eventually.Until(() => manager.GetMetrics().Delivered == 1, "delivered");

        var text = manager.GetMetrics().ToString();

        Assert.That(text, Does.Contain("Published = 1, Dispatched = 1, Delivered = 1, Dropped = 0"));
        Assert.That(text, Does.Contain("Listeners = [ListenerMetrics { Id = 1, Name = printer, Delivered = 1, Dropped = 0, Pending = 0, Errors = 0 }]"));
        Assert.That(text, Does.Not.Contain("System.Collections"));
    }
}
