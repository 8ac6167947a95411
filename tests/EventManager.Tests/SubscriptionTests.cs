using EventManager.Tests.Support;

namespace EventManager.Tests;

public class SubscriptionTests
{
    [Test]
    public async Task Subscribe_EventsPublished_AreReadInOrder()
    {
        await using var manager = new WebSocketEventManager();
        await using var subscription = manager.Subscribe();

        manager.Publish(Events.Custom("a"));
        manager.Publish(Events.Custom("b"));

        var seen = new List<string>();
        while (seen.Count < 2 && await Eventually.Within(subscription.WaitToReadAsync().AsTask(), "an event"))
        {
            while (subscription.TryRead(out var evt))
            {
                seen.Add(evt.EventType);
            }
        }

        Assert.That(seen, Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public async Task TryReadMany_ReplayedThenLiveEvents_TakesBothInOrderInOneRead()
    {
        await using var manager = new WebSocketEventManager();
        var first = Events.Custom("a");
        manager.Publish(first);
        manager.Publish(Events.Custom("b"));
        manager.Publish(Events.Custom("c"));
        await Eventually.Until(() => manager.GetMetrics().Dispatched == 3, "the events were dispatched");
        await using var subscription = manager.Subscribe(null, first.EventId);
        manager.Publish(Events.Custom("d"));
        await Eventually.Until(() => subscription.Pending == 3, "two replayed events and one live one wait");

        var buffer = new WebSocketEvent[4];
        var read = subscription.TryReadMany(buffer);

        Assert.That(buffer.Take(read).Select(e => e.EventType), Is.EqualTo(new[] { "b", "c", "d" }));
        Assert.That(subscription.TryReadMany(buffer), Is.Zero, "nothing is left");
    }

    [Test]
    public async Task Subscribe_QueueOverflows_DroppedCountsTheLoss()
    {
        await using var manager = new WebSocketEventManager();
        await using var subscription = manager.Subscribe(new ListenerOptions { Capacity = 2, OverflowPolicy = OverflowPolicy.DropOldest });

        for (var i = 0; i < 5; i++)
        {
            manager.Publish(Events.Custom("e" + i));
        }

        await Eventually.Until(() => manager.GetMetrics().Dispatched == 5, "every event was dispatched");
        Assert.Multiple(() =>
        {
            Assert.That(subscription.Dropped, Is.EqualTo(3));
            Assert.That(subscription.Pending, Is.EqualTo(2));
        });
        Assert.That(subscription.TryRead(out var oldestKept), Is.True);
        Assert.That(oldestKept!.EventType, Is.EqualTo("e3"));
    }

    [Test]
    public async Task Dispose_WithEventsQueued_RemovesTheListenerAndCountsThemDropped()
    {
        await using var manager = new WebSocketEventManager();
        var subscription = manager.Subscribe();
        manager.Publish(Events.Custom());
        await Eventually.Until(() => subscription.Pending == 1, "the event is queued");

        subscription.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(manager.ListenerCount, Is.Zero);
            Assert.That(subscription.Dropped, Is.EqualTo(1));
            Assert.That(subscription.TryRead(out _), Is.False);
        });
        Assert.That(await subscription.WaitToReadAsync(), Is.False);
    }

    [Test]
    public async Task WaitToReadAsync_ManagerDisposed_ReturnsFalseAfterTheQueueDrains()
    {
        var manager = new WebSocketEventManager();
        await using var subscription = manager.Subscribe();
        manager.Publish(Events.Custom());

        var disposing = manager.DisposeAsync().AsTask();
        Assert.That(await Eventually.Within(subscription.WaitToReadAsync().AsTask(), "the queued event"), Is.True);
        Assert.That(subscription.TryRead(out _), Is.True);
        Assert.That(await Eventually.Within(subscription.WaitToReadAsync().AsTask(), "the end"), Is.False);
        await Eventually.Within(disposing, "the manager to stop");
    }

    [Test]
    public void TargetUserId_RoundTripsThroughJson()
    {
        var evt = Events.Custom("note") with { TargetUserId = "user-7" };

        var parsed = WebSocketEvent.Parse(evt.ToJson());

        Assert.That(parsed.TargetUserId, Is.EqualTo("user-7"));
        Assert.That(evt.ToJson(), Does.Contain("\"target_user_id\":\"user-7\""));
    }
}
