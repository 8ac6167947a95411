using EventManager.Tests.Support;

namespace EventManager.Tests;

/// <summary>
/// What a new user gets: default options everywhere and a publisher that does not pace itself. A listener that keeps up
/// on average loses nothing of a burst the ingress accepted, whatever its neighbours do.
/// </summary>
public class DefaultBurstTests
{
    private const int Burst = 100_000;

    [Test]
    public async Task TryPublishBurst_HealthyListenerBesideThrowingAndStuckOnes_ReceivesEveryAcceptedEvent()
    {
        await using var manager = new WebSocketEventManager();
        using var stuck = new ManualResetEventSlim();
        try
        {
            manager.AddListener(_ => throw new InvalidOperationException("a broken handler"));
            manager.AddListener(_ => stuck.Wait());
            long received = 0;
            manager.AddListener(_ => received++);

            var accepted = 0;
            for (var i = 0; i < Burst; i++)
            {
                if (manager.TryPublish(Events.Custom()))
                {
                    accepted++;
                }
            }

            await Eventually.Until(() => Volatile.Read(ref received) == accepted, $"the healthy listener received all {accepted} accepted events");
            var healthy = manager.GetMetrics().Listeners[2];
            Assert.That(healthy.Dropped, Is.Zero);
            Assert.That(accepted, Is.GreaterThanOrEqualTo(EventManagerOptions.DefaultIngressCapacity), "refusals start only once the ingress is full");
        }
        finally
        {
            stuck.Set();
        }
    }

    [Test]
    public async Task BroadcastAgentMessage_UnpacedToACountingListener_DeliversEveryEvent()
    {
        const int Count = 200_000;
        await using var manager = new WebSocketEventManager();
        long received = 0;
        manager.AddListener(_ => received++);
        var metadata = new Dictionary<string, object?> { ["interaction_count"] = 3 };

        for (var i = 0; i < Count; i++)
        {
            manager.BroadcastAgentMessage("agent_1", "CognitivePsychologist", "hello", metadata: metadata);
        }

        await Eventually.Until(() => Volatile.Read(ref received) == Count, "the listener received every event");
        Assert.That(manager.GetMetrics().Dropped, Is.Zero);
    }

    [Test]
    public async Task Publish_BurstWithinTheDefaultQueueToAListenerThatPauses_DeliversEveryEvent()
    {
        // The listener pauses on its first event until the whole burst is published, so the burst waits in its queue: up to
        // the default capacity, it fits.
        const int Count = 60_000;
        await using var manager = new WebSocketEventManager();
        var published = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long received = 0;
        manager.AddListener(async (_, ct) =>
        {
            if (++received == 1)
            {
                await published.Task.WaitAsync(ct);
            }
        });

        for (var i = 0; i < Count; i++)
        {
            manager.Publish(Events.Message());
        }

        published.SetResult();
        await Eventually.Until(() => Volatile.Read(ref received) == Count, "the listener received every event");
        Assert.That(manager.GetMetrics().Dropped, Is.Zero);
    }
}
