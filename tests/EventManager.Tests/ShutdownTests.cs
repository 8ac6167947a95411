using System.Collections.Concurrent;
using EventManager.Tests.Support;
using Microsoft.Extensions.Logging;

namespace EventManager.Tests;

public class ShutdownTests
{
    [Test]
    public async Task DisposeAsync_WithQueuedEvents_DeliversEverythingAccepted()
    {
        var manager = new WebSocketEventManager();
        var received = new ConcurrentQueue<long>();
        manager.AddListener(
            async (e, ct) =>
            {
                await Task.Yield();
                received.Enqueue(e.Sequence);
            },
            new ListenerOptions { Capacity = 10_000, OverflowPolicy = OverflowPolicy.Wait });
        for (var i = 0; i < 5_000; i++)
        {
            manager.Publish(Events.Custom());
        }

        await Eventually.Within(manager.DisposeAsync().AsTask(), "shutdown");

        Assert.That(received, Has.Count.EqualTo(5_000));
        Assert.That(manager.GetMetrics().Dropped, Is.Zero);
    }

    [Test]
    public async Task DisposeAsync_RightAfterUnpacedBurstWithDefaultOptions_DeliversEverythingInOrder()
    {
        // Default sizes (a burst both default queues hold, so nothing may be dropped); a manual clock, so the default
        // ShutdownTimeout cannot run out on a loaded machine while the handler drains.
        const int Burst = 60_000;
        Assert.That(Burst, Is.LessThan(ListenerOptions.DefaultCapacity));
        var manager = new WebSocketEventManager(new EventManagerOptions { TimeProvider = new ManualTimeProvider() });
        var received = new ConcurrentQueue<long>();
        manager.AddListener(
            async (e, ct) =>
            {
                await Task.Yield();
                received.Enqueue(e.Sequence);
            });
        for (var i = 0; i < Burst; i++)
        {
            manager.Publish(Events.Custom());
        }

        await Eventually.Within(manager.DisposeAsync().AsTask(), "shutdown");

        Assert.That(received, Is.EqualTo(Enumerable.Range(1, Burst).Select(i => (long)i)), "every event, once, in order");
        Assert.That(manager.GetMetrics().Dropped, Is.Zero);
    }

    [Test]
    public async Task Publish_AfterDispose_ThrowsObjectDisposed()
    {
        var manager = new WebSocketEventManager();
        await manager.DisposeAsync();

        Assert.Multiple(() =>
        {
            Assert.Throws<ObjectDisposedException>(() => manager.Publish(Events.Custom()));
            Assert.Throws<ObjectDisposedException>(() => manager.TryPublish(Events.Custom()));
            Assert.ThrowsAsync<ObjectDisposedException>(async () => await manager.PublishAsync(Events.Custom()));
            Assert.Throws<ObjectDisposedException>(() => manager.BroadcastAgentMessage("a", "t", "m"));
            Assert.Throws<ObjectDisposedException>(() => manager.AddListener(_ => { }));
        });
    }

    [Test]
    public async Task DisposeAsync_PublisherWaitingForRoom_GetsObjectDisposed()
    {
        var time = new ManualTimeProvider();
        var manager = new WebSocketEventManager(new EventManagerOptions { IngressCapacity = 1, TimeProvider = time });
        var stall = await StalledDispatcher.StallAsync(manager);
        manager.Publish(Events.Custom());
        var waiting = manager.PublishAsync(Events.Custom()).AsTask();

        var disposing = manager.DisposeAsync().AsTask();

        Assert.That(async () => await waiting, Throws.InstanceOf<ObjectDisposedException>());
        stall.Release();
        await Eventually.Within(disposing, "shutdown after the handler is released");
        Assert.That(manager.GetMetrics().Delivered, Is.EqualTo(4));
    }

    [Test]
    public async Task DisposeAsync_HandlerNeverReturnsWithDefaultTimeout_ReturnsAfterTimeoutAndCountsAbandoned()
    {
        var time = new ManualTimeProvider();
        var logger = new CapturingLogger<WebSocketEventManager>();
        var manager = new WebSocketEventManager(new EventManagerOptions { TimeProvider = time }, logger);
        using var never = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        manager.AddListener(_ =>
        {
            entered.TrySetResult();
            never.Wait();
        });
        for (var i = 0; i < 4; i++)
        {
            manager.Publish(Events.Custom());
        }

        await Eventually.Within(entered.Task, "the handler is stuck");
        await Eventually.Until(() => manager.GetMetrics().Dispatched == 4, "all dispatched");

        var disposing = manager.DisposeAsync().AsTask();
        await Eventually.Until(() => time.HasTimerDueIn(EventManagerOptions.DefaultShutdownTimeout), "shutdown is waiting on its timeout");
        Assert.That(disposing.IsCompleted, Is.False);
        time.Advance(EventManagerOptions.DefaultShutdownTimeout);

        await Eventually.Within(disposing, "shutdown gives up after its timeout");
        Assert.That(logger.Entries.Any(e => e.Level == LogLevel.Warning && e.Message.Contains("did not drain", StringComparison.Ordinal)), Is.True);
        never.Set();
        await Eventually.Until(() => manager.GetMetrics().Dropped == 3, "the three queued events are counted as dropped");
    }

    [Test]
    public async Task DisposeAsync_Timeout_CancelsAsyncHandlerToken()
    {
        var time = new ManualTimeProvider();
        var manager = new WebSocketEventManager(new EventManagerOptions { TimeProvider = time, ShutdownTimeout = TimeSpan.FromSeconds(1) });
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        manager.AddListener(async (_, ct) =>
        {
            entered.TrySetResult();
            using var registration = ct.Register(() => cancelled.TrySetResult());
            await Task.Delay(Timeout.Infinite, ct);
        });
        manager.Publish(Events.Custom());
        await Eventually.Within(entered.Task, "the handler is waiting");

        var disposing = manager.DisposeAsync().AsTask();
        await Eventually.Until(() => time.ActiveTimers > 0, "shutdown is waiting on its timeout");
        time.Advance(TimeSpan.FromSeconds(1));

        await Eventually.Within(cancelled.Task, "the handler's token is cancelled");
        await Eventually.Within(disposing, "shutdown completes");
    }

    [Test]
    public async Task DisposeAsync_WhileManyThreadsPublish_OnlyObjectDisposedEscapesAndCountsAddUp()
    {
        var manager = new WebSocketEventManager(new EventManagerOptions { IngressCapacity = 64 });
        var delivered = 0L;
        manager.AddListener(_ => Interlocked.Increment(ref delivered), new ListenerOptions { Capacity = 16, OverflowPolicy = OverflowPolicy.Wait });
        manager.AddListener(_ => Thread.SpinWait(50), new ListenerOptions { Capacity = 4 });
        var unexpected = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var accepted = 0L;
        using var started = new CountdownEvent(4);

        var publishers = Enumerable.Range(0, 4).Select(p => Task.Run(async () =>
        {
            started.Signal();
            for (var i = 0; ; i++)
            {
                try
                {
                    if (i % 2 == 0)
                    {
                        manager.Publish(Events.Custom());
                    }
                    else
                    {
                        await manager.PublishAsync(Events.Custom());
                    }

                    Interlocked.Increment(ref accepted);
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                catch (Exception ex)
                {
                    unexpected.Enqueue(ex);
                    return;
                }
            }
        })).ToArray();
        Assert.That(started.Wait(Eventually.DefaultTimeout), Is.True, "the publishers started");
        await Eventually.Until(() => Volatile.Read(ref delivered) > 1_000, "traffic is flowing");

        await Eventually.Within(manager.DisposeAsync().AsTask(), "shutdown under load");
        await Eventually.Within(Task.WhenAll(publishers), "every publisher sees the manager close");

        Assert.That(unexpected, Is.Empty);
        var metrics = manager.GetMetrics();
        Assert.That(metrics.Published, Is.EqualTo(Volatile.Read(ref accepted)), "every successful call is counted once");
        Assert.That(Volatile.Read(ref delivered), Is.EqualTo(metrics.Published), "the Wait listener got every accepted event");
        Assert.That(metrics.Dispatched, Is.EqualTo(metrics.Published));
    }

    [Test]
    public async Task DisposeAsync_CalledTwiceConcurrently_BothComplete()
    {
        var manager = new WebSocketEventManager();
        manager.AddListener(_ => { });
        manager.Publish(Events.Custom());

        var first = manager.DisposeAsync().AsTask();
        var second = manager.DisposeAsync().AsTask();

        await Eventually.Within(Task.WhenAll(first, second), "both dispose calls");
        Assert.That(manager.GetMetrics().Delivered, Is.EqualTo(1));
    }
}
