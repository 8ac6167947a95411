using EventManager.Tests.Support;
using Microsoft.Extensions.Logging;

namespace EventManager.Tests;

public class DropReportingTests
{
    private const int ListenerDroppedEvent = 12;
    private const int IngressDroppedEvent = 13;

    [Test]
    public async Task ListenerQueueOverflows_FirstDropAtOnceThenASummaryASecondLater_WarningsCountEveryDrop()
    {
        var time = new ManualTimeProvider();
        var logger = new CapturingLogger<WebSocketEventManager>();
        await using var manager = new WebSocketEventManager(new EventManagerOptions { TimeProvider = time }, logger);
        using var gate = new ManualResetEventSlim();
        try
        {
            await HoldFirstEventAsync(manager, gate, new ListenerOptions { Capacity = 1, Name = "stuck" });
            for (var i = 0; i < 11; i++)
            {
                manager.Publish(Events.Custom());
            }

            await Eventually.Until(() => manager.GetMetrics().Dropped == 10, "ten events were dropped");
            Assert.That(Warnings(logger, ListenerDroppedEvent), Is.EqualTo(new[] { "dropped 1 events, 1 in all" }), "the first drop is reported at once");

            time.Advance(DropReporterInterval);
            Assert.That(Warnings(logger, ListenerDroppedEvent), Is.EqualTo(new[] { "dropped 1 events, 1 in all", "dropped 9 events, 10 in all" }));

            time.Advance(DropReporterInterval);
            Assert.That(Warnings(logger, ListenerDroppedEvent), Has.Length.EqualTo(2), "a quiet second adds no line");
            Assert.That(logger.Entries.Single(e => e.EventId.Id == ListenerDroppedEvent && e.Message.Contains("dropped 9", StringComparison.Ordinal)).Message, Does.Contain("(stuck)"));
        }
        finally
        {
            gate.Set();
        }
    }

    [Test]
    public async Task ListenerRemovedWithEventsQueued_TheirDropIsLogged()
    {
        var logger = new CapturingLogger<WebSocketEventManager>();
        await using var manager = new WebSocketEventManager(null, logger);
        using var gate = new ManualResetEventSlim();
        try
        {
            var id = await HoldFirstEventAsync(manager, gate, new ListenerOptions());
            for (var i = 0; i < 5; i++)
            {
                manager.Publish(Events.Custom());
            }

            await Eventually.Until(() => manager.GetMetrics().Listeners[0].Pending == 5, "five events are queued");
            manager.RemoveListener(id);
        }
        finally
        {
            gate.Set();
        }

        await Eventually.Until(() => Warnings(logger, ListenerDroppedEvent).Length == 1, "the drop was logged");
        Assert.That(Warnings(logger, ListenerDroppedEvent), Is.EqualTo(new[] { "dropped 5 events, 5 in all" }));
    }

    [Test]
    public async Task IngressOverflowsUnderADropPolicy_TheDropIsLogged()
    {
        var logger = new CapturingLogger<WebSocketEventManager>();
        await using var manager = new WebSocketEventManager(new EventManagerOptions { IngressCapacity = 2, IngressOverflowPolicy = OverflowPolicy.DropNewest }, logger);
        var stall = await StalledDispatcher.StallAsync(manager);
        try
        {
            for (var i = 0; i < 5; i++)
            {
                manager.Publish(Events.Custom());
            }

            Assert.That(manager.GetMetrics().Dropped, Is.EqualTo(3));
            Assert.That(Warnings(logger, IngressDroppedEvent), Is.EqualTo(new[] { "dropped 1 published events, 1 in all" }));
        }
        finally
        {
            stall.Release();
        }
    }

    [Test]
    public async Task UnpacedBurstPastAStuckListenersDefaultQueue_EveryDropIsCountedAndReported()
    {
        // Default options but the clock: a burst larger than the default listener queue (65,536) to a handler that is stuck.
        const int Burst = 100_000;
        var time = new ManualTimeProvider();
        var logger = new CapturingLogger<WebSocketEventManager>();
        await using var manager = new WebSocketEventManager(new EventManagerOptions { TimeProvider = time }, logger);
        using var gate = new ManualResetEventSlim();
        try
        {
            await HoldFirstEventAsync(manager, gate, new ListenerOptions { Name = "stuck" });

            // PublishAsync waits only while the ingress is full (its default policy), so every event gets past it.
            for (var i = 1; i < Burst; i++)
            {
                await manager.PublishAsync(Events.Custom());
            }

            static ListenerMetrics Stuck(WebSocketEventManager manager) => manager.GetMetrics().Listeners.Single();
            await Eventually.Until(() => Stuck(manager) is var l && l.Dropped + l.Pending + 1 == Burst, "each event is in the handler, queued or counted as dropped");
            var stuck = Stuck(manager);
            time.Advance(DropReporterInterval);
            var reported = Warnings(logger, ListenerDroppedEvent).Select(w => long.Parse(w.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)).Sum();

            Assert.Multiple(() =>
            {
                Assert.That(stuck.Dropped, Is.GreaterThan(0));
                Assert.That(reported, Is.EqualTo(stuck.Dropped), "the warnings add up to every drop");
            });
        }
        finally
        {
            gate.Set();
        }
    }

    private static TimeSpan DropReporterInterval => TimeSpan.FromSeconds(1);

    /// <summary>Adds a listener whose handler holds the first event until <paramref name="gate"/> is set, publishes that event and returns the listener's id.</summary>
    private static async Task<long> HoldFirstEventAsync(WebSocketEventManager manager, ManualResetEventSlim gate, ListenerOptions options)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = manager.AddListener(
            _ =>
            {
                entered.TrySetResult();
                gate.Wait();
            },
            options);
        manager.Publish(Events.Custom());
        await Eventually.Within(entered.Task, "the handler holds the first event");
        return id;
    }

    private static string[] Warnings(CapturingLogger<WebSocketEventManager> logger, int eventId) =>
        [.. logger.Entries
            .Where(e => e.EventId.Id == eventId && e.Level == LogLevel.Warning)
            .Select(e => System.Text.RegularExpressions.Regex.Match(e.Message, @"dropped \d+ (published )?events, \d+ in all").Value)];
}
