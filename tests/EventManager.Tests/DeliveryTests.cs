using System.Collections.Concurrent;
using EventManager.Tests.Support;

namespace EventManager.Tests;

public class DeliveryTests
{
    [Test]
    public async Task Publish_ThreeTypedEvents_ReachSyncListenerInOrderWithSequence()
    {
        await using var manager = new WebSocketEventManager();
        var received = new ConcurrentQueue<WebSocketEvent>();
        manager.AddListener(received.Enqueue);

        manager.BroadcastAgentMessage("agent_1", "CognitivePsychologist", "hi", new Sentiment(0.2, SentimentLabel.Positive));
        manager.BroadcastNetworkUpdate([new NetworkConnection("agent_1", "agent_2", 0.5, true, ConnectionType.Normal)]);
        manager.BroadcastSystemStatus(SystemHealthStatus.Healthy, new Dictionary<string, double> { ["cpu_percent"] = 1, ["memory_percent"] = 2 }, 1, 0);

        await Eventually.Until(() => received.Count == 3, "three events arrive");
        Assert.That(received.Select(e => e.EventType), Is.EqualTo(new[] { "agent_message", "network_update", "system_status" }));
        Assert.That(received.Select(e => e.Sequence), Is.EqualTo(new long[] { 1, 2, 3 }));
        Assert.That(received.Select(e => e.OriginId), Is.All.EqualTo(manager.InstanceId));
    }

    [Test]
    public async Task AddListener_AsyncHandler_IsAwaitedOneEventAtATime()
    {
        await using var manager = new WebSocketEventManager();
        var inFlight = 0;
        var maxInFlight = 0;
        var count = 0;
        manager.AddListener(async (evt, ct) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            await Task.Yield();
            Interlocked.Decrement(ref inFlight);
            Interlocked.Increment(ref count);
        });

        for (var i = 0; i < 200; i++)
        {
            await manager.PublishAsync(Events.Message($"m{i}"));
        }

        await Eventually.Until(() => Volatile.Read(ref count) == 200, "all events handled");
        Assert.That(maxInFlight, Is.EqualTo(1));
    }

    [Test]
    public async Task AddListener_EventTypesWithWildcard_DeliversOnlyMatchingTypes()
    {
        await using var manager = new WebSocketEventManager();
        var received = new ConcurrentQueue<string>();
        manager.AddListener(e => received.Enqueue(e.EventType), new ListenerOptions { EventTypes = ["voice.*", "agent_message"] });
        var all = new ConcurrentQueue<string>();
        manager.AddListener(e => all.Enqueue(e.EventType));

        foreach (var type in new[] { "voice.started", "voices", "session.connected", "voice.stopped" })
        {
            manager.Publish(Events.Custom(type));
        }

        manager.Publish(Events.Message());

        await Eventually.Until(() => all.Count == 5, "the unfiltered listener sees all five");
        await Eventually.Until(() => received.Count == 3, "the filtered listener sees three");
        Assert.That(received, Is.EqualTo(new[] { "voice.started", "voice.stopped", "agent_message" }));
    }

    [Test]
    public async Task AddListener_PredicateFilter_DeliversOnlyAcceptedEvents()
    {
        await using var manager = new WebSocketEventManager();
        var received = new ConcurrentQueue<string>();
        manager.AddListener(
            e => received.Enqueue(((AgentMessageEvent)e).AgentId),
            new ListenerOptions { EventTypes = ["agent_message"], Filter = e => ((AgentMessageEvent)e).AgentId != "noisy" });
        var all = 0;
        manager.AddListener(_ => Interlocked.Increment(ref all));

        foreach (var agent in new[] { "a", "noisy", "b", "noisy", "c" })
        {
            manager.Publish(Events.Message(agentId: agent));
        }

        await Eventually.Until(() => Volatile.Read(ref all) == 5, "all five dispatched");
        await Eventually.Until(() => received.Count == 3, "three accepted");
        Assert.That(received, Is.EqualTo(new[] { "a", "b", "c" }));
    }

    [Test]
    public async Task Publish_SameInstanceTwice_ThrowsNamingTheEvent()
    {
        await using var manager = new WebSocketEventManager();
        var evt = Events.Message();
        manager.Publish(evt);

        var ex = Assert.Throws<ArgumentException>(() => manager.Publish(evt));

        Assert.That(ex!.ParamName, Is.EqualTo("evt"));
        Assert.DoesNotThrow(() => manager.Publish(evt with { }));
    }

    [Test]
    public async Task Publish_InstanceSlipsPastTheClaimTwice_DispatcherDropsAndLogsTheSecond()
    {
        var logger = new CapturingLogger<WebSocketEventManager>();
        await using var first = new WebSocketEventManager();
        await using var second = new WebSocketEventManager(logger: logger);
        var received = new ConcurrentQueue<WebSocketEvent>();
        second.AddListener(received.Enqueue);
        var evt = Events.Message();
        first.Publish(evt);
        await Eventually.Until(() => first.GetMetrics().Dispatched == 1, "the first manager stamped it");

        evt.ReleaseClaim();
        second.Publish(evt);
        second.Publish(Events.Message("after"));

        await Eventually.Until(() => received.Count == 1, "the next event arrives");
        Assert.Multiple(() =>
        {
            Assert.That(((AgentMessageEvent)received.Single()).Message, Is.EqualTo("after"));
            Assert.That(evt.OriginId, Is.EqualTo(first.InstanceId), "the first stamp stands");
            Assert.That(second.GetMetrics().Dropped, Is.EqualTo(1));
            Assert.That(logger.Entries.Any(e => e.Message.Contains(evt.EventId, StringComparison.Ordinal)), Is.True);
        });
    }

    [Test]
    public async Task Publish_CopyOfEventFromAnotherManager_IsANewEventOfThisManager()
    {
        await using var first = new WebSocketEventManager();
        await using var second = new WebSocketEventManager();
        var received = new ConcurrentQueue<WebSocketEvent>();
        second.AddListener(received.Enqueue);
        var original = Events.Message();
        first.Publish(original);
        await Eventually.Until(() => first.GetMetrics().Dispatched == 1, "the original is stamped");

        second.Publish(original with { });

        await Eventually.Until(() => received.Count == 1, "the copy arrives");
        var copy = received.Single();
        Assert.Multiple(() =>
        {
            Assert.That(copy.OriginId, Is.EqualTo(second.InstanceId));
            Assert.That(copy.EventId, Is.Not.EqualTo(original.EventId));
            Assert.That(copy.Sequence, Is.EqualTo(1));
            Assert.That(((AgentMessageEvent)copy).Message, Is.EqualTo(original.Message));
        });
    }

    [Test]
    public async Task Publish_ListenerAddedLater_ReceivesOnlyLaterEvents()
    {
        await using var manager = new WebSocketEventManager();
        var early = new ConcurrentQueue<long>();
        manager.AddListener(e => early.Enqueue(e.Sequence));
        manager.Publish(Events.Message("first"));
        await Eventually.Until(() => early.Count == 1, "the first event is dispatched");

        var late = new ConcurrentQueue<long>();
        manager.AddListener(e => late.Enqueue(e.Sequence));
        manager.Publish(Events.Message("second"));

        await Eventually.Until(() => late.Count == 1 && early.Count == 2, "the second event arrives");
        Assert.That(late, Is.EqualTo(new long[] { 2 }));
    }

    [Test]
    public async Task ToUtf8Json_ManyListeners_ShareOneSerialisation()
    {
        await using var manager = new WebSocketEventManager();
        var buffers = new ConcurrentBag<ReadOnlyMemory<byte>>();
        for (var i = 0; i < 4; i++)
        {
            manager.AddListener(e => buffers.Add(e.ToUtf8Json()));
        }

        manager.Publish(Events.Message());

        await Eventually.Until(() => buffers.Count == 4, "every listener serialised");
        var first = buffers.First();
        Assert.That(buffers.All(b => b.Span == first.Span), Is.True, "all listeners got the same cached bytes");
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
