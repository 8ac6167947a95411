using EventManager.Tests.Support;

namespace EventManager.Tests;

public class ReadEventsTests
{
    [Test]
    public async Task ReadEventsAsync_EventsPublished_YieldsThemInOrderWithFilters()
    {
        await using var manager = new WebSocketEventManager();
        await using var events = manager.ReadEventsAsync(new ListenerOptions { EventTypes = ["keep.*"] }).GetAsyncEnumerator();
        var first = events.MoveNextAsync();

        foreach (var type in new[] { "keep.a", "skip", "keep.b", "keep.c" })
        {
            manager.Publish(Events.Custom(type));
        }

        var seen = new List<string>();
        Assert.That(await Eventually.Within(first.AsTask(), "the first event"), Is.True);
        seen.Add(events.Current.EventType);
        while (seen.Count < 3)
        {
            Assert.That(await Eventually.Within(events.MoveNextAsync().AsTask(), "the next event"), Is.True);
            seen.Add(events.Current.EventType);
        }

        Assert.That(seen, Is.EqualTo(new[] { "keep.a", "keep.b", "keep.c" }));
        Assert.That(manager.GetMetrics().Listeners.Single().Delivered, Is.EqualTo(3));
    }

    [Test]
    public async Task ReadEventsAsync_ConsumerLeavesLoop_RemovesListener()
    {
        await using var manager = new WebSocketEventManager();
        var consumer = Task.Run(async () =>
        {
            await foreach (var evt in manager.ReadEventsAsync())
            {
                return evt.Sequence;
            }

            return -1;
        });
        await Eventually.Until(() => manager.ListenerCount == 1, "the consumer subscribed");

        manager.Publish(Events.Custom());

        Assert.That(await Eventually.Within(consumer, "the consumer takes one event and leaves"), Is.EqualTo(1));
        await Eventually.Until(() => manager.ListenerCount == 0, "leaving the loop removed the listener");
        Assert.That(manager.GetMetrics().Delivered, Is.EqualTo(1));
    }

    [Test]
    public async Task ReadEventsAsync_TokenCancelled_ThrowsAndRemovesListener()
    {
        await using var manager = new WebSocketEventManager();
        using var cancel = new CancellationTokenSource();
        var consumer = Task.Run(async () =>
        {
            await foreach (var _ in manager.ReadEventsAsync(cancellationToken: cancel.Token))
            {
            }
        });
        await Eventually.Until(() => manager.ListenerCount == 1, "the consumer subscribed");

        await cancel.CancelAsync();

        Assert.That(async () => await consumer, Throws.InstanceOf<OperationCanceledException>());
        await Eventually.Until(() => manager.ListenerCount == 0, "cancelling removed the listener");
    }

    [Test]
    public async Task ReadEventsAsync_ManagerDisposed_YieldsEverythingAcceptedThenEnds()
    {
        var manager = new WebSocketEventManager();
        var received = new List<long>();
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = Task.Run(async () =>
        {
            var stream = manager.ReadEventsAsync(new ListenerOptions { Capacity = 1_000, OverflowPolicy = OverflowPolicy.Wait });
            await using var events = stream.GetAsyncEnumerator();
            var next = events.MoveNextAsync();
            subscribed.SetResult();
            while (await next)
            {
                received.Add(events.Current.Sequence);
                next = events.MoveNextAsync();
            }
        });
        await Eventually.Within(subscribed.Task, "the consumer subscribed");
        for (var i = 0; i < 500; i++)
        {
            manager.Publish(Events.Custom());
        }

        await Eventually.Within(manager.DisposeAsync().AsTask(), "shutdown");

        await Eventually.Within(consumer, "the enumeration ends");
        Assert.That(received, Is.EqualTo(Enumerable.Range(1, 500).Select(i => (long)i)));
    }

    [Test]
    public async Task ReadEventsAsync_RemovedById_StopsYielding()
    {
        await using var manager = new WebSocketEventManager();
        await using var events = manager.ReadEventsAsync().GetAsyncEnumerator();
        var next = events.MoveNextAsync();
        var id = manager.GetMetrics().Listeners.Single().Id;
        manager.Publish(Events.Custom());
        Assert.That(await Eventually.Within(next.AsTask(), "the first event"), Is.True);
        manager.Publish(Events.Custom());
        await Eventually.Until(() => manager.GetMetrics().Listeners.Single().Pending == 1, "a second event is queued");

        manager.RemoveListener(id);

        Assert.That(await Eventually.Within(events.MoveNextAsync().AsTask(), "the enumeration ends"), Is.False);
    }
}
