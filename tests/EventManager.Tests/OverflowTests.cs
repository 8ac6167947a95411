using System.Collections.Concurrent;
using EventManager.Tests.Support;

namespace EventManager.Tests;

public class OverflowTests
{
    /// <summary>A listener whose handler blocks on a gate, so its queue fills deterministically.</summary>
    private static (long Id, ManualResetEventSlim Gate, ConcurrentQueue<long> Seen, TaskCompletionSource Entered) Blocked(
        WebSocketEventManager manager, ListenerOptions options)
    {
        var gate = new ManualResetEventSlim();
        var seen = new ConcurrentQueue<long>();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = manager.AddListener(
            e =>
            {
                entered.TrySetResult();
                gate.Wait();
                seen.Enqueue(e.Sequence);
            },
            options);
        return (id, gate, seen, entered);
    }

    [TestCase(OverflowPolicy.DropOldest, new long[] { 1, 8, 9, 10, 11 })]
    [TestCase(OverflowPolicy.DropNewest, new long[] { 1, 2, 3, 4, 5 })]
    public async Task Listener_DropPolicyFull_KeepsWhatThePolicySaysAndCountsDrops(OverflowPolicy policy, long[] expected)
    {
        await using var manager = new WebSocketEventManager();
        var (_, gate, seen, entered) = Blocked(manager, new ListenerOptions { Capacity = 4, OverflowPolicy = policy });
        manager.Publish(Events.Message("first"));
        await Eventually.Within(entered.Task, "the handler holds the first event");

        for (var i = 0; i < 10; i++)
        {
            manager.Publish(Events.Message());
        }

        await Eventually.Until(() => manager.GetMetrics().Dispatched == 11, "all dispatched");
        gate.Set();
        await Eventually.Until(() => seen.Count == 5, "the first plus four queued are handled");

        Assert.That(seen, Is.EqualTo(expected));
        var metrics = manager.GetMetrics();
        Assert.That(metrics.Listeners.Single().Dropped, Is.EqualTo(6));
        Assert.That(metrics.Dropped, Is.EqualTo(6));
    }

    [Test]
    public async Task Listener_BlockedWithDropPolicy_NeverDelaysOtherListeners()
    {
        await using var manager = new WebSocketEventManager();
        var (_, gate, _, entered) = Blocked(manager, new ListenerOptions { Capacity = 2 });
        var fast = new ConcurrentQueue<long>();
        manager.AddListener(e => fast.Enqueue(e.Sequence), new ListenerOptions { Capacity = 20_000, OverflowPolicy = OverflowPolicy.Wait });

        for (var i = 0; i < 10_000; i++)
        {
            manager.Publish(Events.Custom());
        }

        await Eventually.Within(entered.Task, "the slow handler is stuck");
        await Eventually.Until(() => fast.Count == 10_000, "the fast listener gets everything while the slow one is stuck");
        Assert.That(manager.GetMetrics().Listeners[0].Dropped, Is.GreaterThan(9_000));
        gate.Set();
    }

    [Test]
    public async Task Listener_BlockedWithWaitPolicy_HoldsBackDispatchUntilReleasedAndLosesNothing()
    {
        await using var manager = new WebSocketEventManager();
        var (_, gate, seen, entered) = Blocked(manager, new ListenerOptions { Capacity = 2, OverflowPolicy = OverflowPolicy.Wait });
        var other = new ConcurrentQueue<long>();
        manager.AddListener(e => other.Enqueue(e.Sequence), new ListenerOptions { OverflowPolicy = OverflowPolicy.Wait });

        for (var i = 0; i < 20; i++)
        {
            manager.Publish(Events.Custom());
        }

        await Eventually.Within(entered.Task, "the slow handler is stuck");
        await Eventually.Until(() => manager.GetMetrics().Dispatched == 4, "dispatch stops when the waiting queue is full");
        Assert.That(manager.GetMetrics().Dispatched, Is.EqualTo(4), "1 in the handler, 2 queued, 1 the dispatcher waits to hand over");

        gate.Set();
        await Eventually.Until(() => seen.Count == 20 && other.Count == 20, "everything arrives once released");
        Assert.That(manager.GetMetrics().Dropped, Is.Zero);
    }

    [Test]
    public async Task Ingress_WaitPolicyFull_TryPublishReturnsFalseAndPublishAsyncWaits()
    {
        await using var manager = new WebSocketEventManager(new EventManagerOptions { IngressCapacity = 2 });
        var stall = await StalledDispatcher.StallAsync(manager);
        manager.Publish(Events.Custom());
        manager.Publish(Events.Custom());

        var rejected = Events.Custom();
        Assert.That(manager.TryPublish(rejected), Is.False);
        var waiting = manager.PublishAsync(rejected).AsTask();
        Assert.That(waiting.IsCompleted, Is.False, "PublishAsync waits for room");

        stall.Release();
        await Eventually.Within(waiting, "PublishAsync completes once there is room");
        await Eventually.Until(() => stall.Seen.Count == 6, "all six events arrive");
        var metrics = manager.GetMetrics();
        Assert.That(metrics.Rejected, Is.EqualTo(1));
        Assert.That(metrics.Published, Is.EqualTo(6));
        Assert.That(metrics.Dropped, Is.Zero);
    }

    [Test]
    public async Task TryPublish_UnpacedPastAStuckWaitListenerWithDefaultQueues_RefusesOnlyWhenFullThenLosesNothing()
    {
        // Default ingress and listener queues; a Wait listener that is stuck holds the dispatcher back once its queue is full.
        await using var manager = new WebSocketEventManager();
        using var gate = new ManualResetEventSlim();
        long delivered = 0;
        manager.AddListener(
            _ =>
            {
                gate.Wait();
                Interlocked.Increment(ref delivered);
            },
            new ListenerOptions { OverflowPolicy = OverflowPolicy.Wait });
        try
        {
            // The ingress may refuse while the dispatcher is still moving events into the listener's queue: top it up
            // until both queues are full, counting each refusal.
            long accepted = 0, refusals = 0;
            await Eventually.Until(
                () =>
                {
                    while (manager.TryPublish(Events.Custom()))
                    {
                        accepted++;
                    }

                    refusals++;
                    var metrics = manager.GetMetrics();
                    return metrics.Listeners[0].Pending == ListenerOptions.DefaultCapacity && metrics.QueueDepth == EventManagerOptions.DefaultIngressCapacity;
                },
                "both queues are full");

            var waiting = manager.PublishAsync(Events.Custom()).AsTask();
            Assert.That(waiting.IsCompleted, Is.False, "PublishAsync waits for room");
            gate.Set();
            await Eventually.Within(waiting, "PublishAsync completes once there is room");
            await Eventually.Until(() => Interlocked.Read(ref delivered) == accepted + 1, "every accepted event arrives");

            var metrics = manager.GetMetrics();
            Assert.Multiple(() =>
            {
                Assert.That(accepted, Is.GreaterThanOrEqualTo(EventManagerOptions.DefaultIngressCapacity + ListenerOptions.DefaultCapacity), "refusals came only once both queues were full");
                Assert.That(metrics.Rejected, Is.EqualTo(refusals), "every refusal was counted");
                Assert.That(metrics.Dropped, Is.Zero);
            });
        }
        finally
        {
            gate.Set();
        }
    }

    [Test]
    public async Task Ingress_WaitPolicyFull_PublishBlocksUntilThereIsRoom()
    {
        await using var manager = new WebSocketEventManager(new EventManagerOptions { IngressCapacity = 1 });
        var stall = await StalledDispatcher.StallAsync(manager);
        manager.Publish(Events.Custom());
        var returned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var publisher = new Thread(() =>
        {
            manager.Publish(Events.Custom());
            returned.SetResult();
        });
        publisher.Start();

        Assert.That(publisher.Join(TimeSpan.FromMilliseconds(200)), Is.False, "Publish blocks while the ingress is full");
        Assert.That(returned.Task.IsCompleted, Is.False);
        stall.Release();
        await Eventually.Within(returned.Task, "Publish returns once there is room");
        await Eventually.Until(() => stall.Seen.Count == 5, "all five arrive");
    }

    [Test]
    public async Task Ingress_WaitPolicyFull_PublishAsyncCancelledLeavesEventPublishable()
    {
        await using var manager = new WebSocketEventManager(new EventManagerOptions { IngressCapacity = 1 });
        var stall = await StalledDispatcher.StallAsync(manager);
        manager.Publish(Events.Custom());
        using var cancel = new CancellationTokenSource();
        var evt = Events.Custom();

        var waiting = manager.PublishAsync(evt, cancel.Token).AsTask();
        await cancel.CancelAsync();

        Assert.That(async () => await waiting, Throws.InstanceOf<OperationCanceledException>());
        stall.Release();
        Assert.DoesNotThrowAsync(async () => await manager.PublishAsync(evt), "the cancelled event was never published, so it still can be");
        await Eventually.Until(() => manager.GetMetrics().Delivered == 5, "all five published events arrive");
    }

    [TestCase(OverflowPolicy.DropOldest)]
    [TestCase(OverflowPolicy.DropNewest)]
    public async Task Ingress_DropPolicyFull_DropsAndCountsEveryLoss(OverflowPolicy policy)
    {
        await using var manager = new WebSocketEventManager(new EventManagerOptions { IngressCapacity = 4, IngressOverflowPolicy = policy });
        var stall = await StalledDispatcher.StallAsync(manager);

        for (var i = 0; i < 10; i++)
        {
            Assert.That(manager.TryPublish(Events.Custom()), Is.True, "a drop policy never refuses");
        }

        stall.Release();
        await Eventually.Until(() => stall.Seen.Count == 7, "three plus the four the ingress kept");
        var metrics = manager.GetMetrics();
        Assert.That(metrics.Published, Is.EqualTo(13));
        Assert.That(metrics.Dropped, Is.EqualTo(6));
        Assert.That(metrics.Published, Is.EqualTo(metrics.Dispatched + metrics.Dropped), "every accepted event is dispatched or counted as dropped");
    }
}
