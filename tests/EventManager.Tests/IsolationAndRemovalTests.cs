using System.Collections.Concurrent;
using EventManager.Tests.Support;
using Microsoft.Extensions.Logging;

namespace EventManager.Tests;

public class IsolationAndRemovalTests
{
    [Test]
    public async Task Handler_Throws_IsLoggedCountedAndKeepsReceiving()
    {
        var logger = new CapturingLogger<WebSocketEventManager>();
        await using var manager = new WebSocketEventManager(logger: logger);
        var calls = 0;
        var faulty = manager.AddListener(_ =>
        {
            if (Interlocked.Increment(ref calls) % 2 == 1)
            {
                throw new InvalidOperationException("boom");
            }
        });
        var healthy = new ConcurrentQueue<long>();
        manager.AddListener(e => healthy.Enqueue(e.Sequence));

        for (var i = 0; i < 10; i++)
        {
            manager.Publish(Events.Message());
        }

        await Eventually.Until(() => Volatile.Read(ref calls) == 10 && healthy.Count == 10, "both listeners see all ten");
        var figures = manager.GetMetrics().Listeners.Single(l => l.Id == faulty);
        Assert.Multiple(() =>
        {
            Assert.That(figures.Errors, Is.EqualTo(5));
            Assert.That(figures.Delivered, Is.EqualTo(5));
            Assert.That(manager.GetMetrics().ListenerErrors, Is.EqualTo(5));
            Assert.That(logger.Entries.Count(e => e.Level == LogLevel.Error && e.Exception is InvalidOperationException), Is.EqualTo(5));
        });
    }

    [Test]
    public async Task AsyncHandler_Throws_NeverReachesPublisher()
    {
        await using var manager = new WebSocketEventManager();
        manager.AddListener(async (_, _) =>
        {
            await Task.Yield();
            throw new InvalidOperationException("async boom");
        });

        Assert.DoesNotThrowAsync(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                await manager.PublishAsync(Events.Message());
            }
        });
        await Eventually.Until(() => manager.GetMetrics().ListenerErrors == 5, "five errors counted");
    }

    [Test]
    public async Task Filter_Throws_CountsErrorAndSkipsOnlyThatListener()
    {
        await using var manager = new WebSocketEventManager();
        var got = 0;
        manager.AddListener(_ => Interlocked.Increment(ref got), new ListenerOptions { Filter = _ => throw new InvalidOperationException() });
        var other = 0;
        manager.AddListener(_ => Interlocked.Increment(ref other));

        manager.Publish(Events.Message());
        manager.Publish(Events.Message());

        await Eventually.Until(() => Volatile.Read(ref other) == 2, "the other listener gets both");
        Assert.That(got, Is.Zero);
        Assert.That(manager.GetMetrics().ListenerErrors, Is.EqualTo(2));
    }

    [Test]
    public async Task RemoveListener_Returns_NoLaterEventReachesHandler()
    {
        await using var manager = new WebSocketEventManager();
        var removed = 0;
        var afterRemoval = 0;
        long id = 0;
        id = manager.AddListener(_ =>
        {
            if (Volatile.Read(ref removed) == 1)
            {
                Interlocked.Increment(ref afterRemoval);
            }
        });
        var witness = 0;
        manager.AddListener(_ => Interlocked.Increment(ref witness), new ListenerOptions { OverflowPolicy = OverflowPolicy.Wait });

        var publisher = Task.Run(() =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                manager.Publish(Events.Custom());
            }
        });
        await Eventually.Until(() => Volatile.Read(ref witness) > 1_000, "events are flowing");

        Assert.That(manager.RemoveListener(id), Is.True);
        Volatile.Write(ref removed, 1);
        await Eventually.Within(publisher, "the publisher to finish");
        await Eventually.Until(() => Volatile.Read(ref witness) == 20_000, "the witness saw everything");

        Assert.That(afterRemoval, Is.LessThanOrEqualTo(1), "at most the call already running when RemoveListener returned");
        Assert.That(manager.RemoveListener(id), Is.False, "a second removal reports it was not registered");
    }

    [Test]
    public async Task RemoveListener_FromInsideItsOwnHandler_StopsDelivery()
    {
        await using var manager = new WebSocketEventManager();
        var calls = 0;
        long id = 0;
        id = manager.AddListener(_ =>
        {
            Interlocked.Increment(ref calls);
            manager.RemoveListener(id);
        });
        var witness = 0;
        manager.AddListener(_ => Interlocked.Increment(ref witness));

        for (var i = 0; i < 100; i++)
        {
            manager.Publish(Events.Custom());
        }

        // The two handler loops run independently: wait for both, since the witness may finish before the first call.
        await Eventually.Until(() => Volatile.Read(ref witness) == 100 && Volatile.Read(ref calls) > 0, "all events delivered to the witness and the handler called");
        Assert.That(calls, Is.EqualTo(1));
        Assert.That(manager.ListenerCount, Is.EqualTo(1));
    }

    [Test]
    public async Task AddListener_FromInsideHandler_NewListenerGetsLaterEvents()
    {
        await using var manager = new WebSocketEventManager();
        var inner = new ConcurrentQueue<long>();
        var added = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        manager.AddListener(e =>
        {
            if (e.Sequence == 1)
            {
                manager.AddListener(x => inner.Enqueue(x.Sequence));
                added.SetResult();
            }
        });

        manager.Publish(Events.Custom());
        await Eventually.Within(added.Task, "the handler added a listener");
        manager.Publish(Events.Custom());

        await Eventually.Until(() => inner.Count == 1, "the added listener gets the next event");
        Assert.That(inner, Is.EqualTo(new long[] { 2 }));
    }

    [Test]
    public async Task RemoveListener_WithQueuedEvents_CountsThemAsDropped()
    {
        await using var manager = new WebSocketEventManager();
        using var gate = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = manager.AddListener(_ =>
        {
            entered.TrySetResult();
            gate.Wait();
        });

        for (var i = 0; i < 6; i++)
        {
            manager.Publish(Events.Custom());
        }

        await Eventually.Within(entered.Task, "the handler is busy with the first event");
        await Eventually.Until(() => manager.GetMetrics().Listeners.Single().Pending == 5, "five events are queued");
        manager.RemoveListener(id);
        gate.Set();

        await Eventually.Until(() => manager.GetMetrics().Delivered == 1 && manager.GetMetrics().Dropped == 5, "the running call finishes and the rest are dropped");
    }
}
