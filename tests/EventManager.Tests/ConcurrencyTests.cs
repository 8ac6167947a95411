using System.Collections.Concurrent;
using EventManager.Tests.Support;

namespace EventManager.Tests;

public class ConcurrencyTests
{
    private const int Publishers = 8;
    private const int PerPublisher = 5_000;

    [Test]
    public Task Publish_ManyThreadsThroughSmallWaitQueues_EveryListenerGetsEveryEventOnceInOneOrder() =>
        PublishFromManyThreadsAsync(new EventManagerOptions { IngressCapacity = 256 }, new ListenerOptions { Capacity = 64, OverflowPolicy = OverflowPolicy.Wait });

    [Test]
    public Task Publish_ManyThreadsUnpaced_DefaultOptions_EveryListenerGetsEveryEventOnceInOneOrder() =>
        PublishFromManyThreadsAsync(new EventManagerOptions(), listenerOptions: null);

    private static async Task PublishFromManyThreadsAsync(EventManagerOptions options, ListenerOptions? listenerOptions)
    {
        await using var manager = new WebSocketEventManager(options);
        var logs = Enumerable.Range(0, 3).Select(_ => new ConcurrentQueue<WebSocketEvent>()).ToArray();
        foreach (var log in logs)
        {
            manager.AddListener(log.Enqueue, listenerOptions);
        }

        using var start = new Barrier(Publishers);
        var threads = Enumerable.Range(0, Publishers).Select(p => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < PerPublisher; i++)
            {
                manager.Publish(CustomEvent.Create("load", new { p, i }));
            }
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            Assert.That(thread.Join(Eventually.DefaultTimeout), Is.True, "a publisher thread finished");
        }

        const int total = Publishers * PerPublisher;
        await Eventually.Until(() => logs.All(l => l.Count >= total), "every listener has every event");

        var reference = logs[0].Select(e => e.EventId).ToArray();
        Assert.Multiple(() =>
        {
            foreach (var log in logs)
            {
                var events = log.ToArray();
                Assert.That(events, Has.Length.EqualTo(total), "no duplicates");
                Assert.That(events.Select(e => e.Sequence), Is.EqualTo(Enumerable.Range(1, total).Select(i => (long)i)), "sequence is the delivery order, without gaps");
                Assert.That(events.Select(e => e.EventId), Is.EqualTo(reference), "every listener sees the same order");
                foreach (var group in events.GroupBy(e => ((CustomEvent)e).Data.GetProperty("p").GetInt32()))
                {
                    Assert.That(group.Select(e => ((CustomEvent)e).Data.GetProperty("i").GetInt32()), Is.Ordered, "one publisher's order is kept");
                }
            }
        });
        var metrics = manager.GetMetrics();
        Assert.That(metrics.Published, Is.EqualTo(total));
        Assert.That(metrics.Dropped, Is.Zero);
    }

    [Test]
    public async Task AddAndRemoveListeners_WhilePublishing_NoEventIsDuplicatedOrReordered()
    {
        await using var manager = new WebSocketEventManager();
        var stable = new ConcurrentQueue<long>();
        manager.AddListener(e => stable.Enqueue(e.Sequence), new ListenerOptions { OverflowPolicy = OverflowPolicy.Wait });
        var churnLogs = new ConcurrentBag<ConcurrentQueue<long>>();
        using var stop = new CancellationTokenSource();

        var churn = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var log = new ConcurrentQueue<long>();
                churnLogs.Add(log);
                var id = manager.AddListener(e => log.Enqueue(e.Sequence), new ListenerOptions { OverflowPolicy = OverflowPolicy.Wait });
                Thread.Yield();
                Assert.That(manager.RemoveListener(id), Is.True);
            }
        });
        var publishers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 5_000; i++)
            {
                await manager.PublishAsync(Events.Custom());
            }
        })).ToArray();

        await Eventually.Within(Task.WhenAll(publishers), "the publishers to finish");
        await stop.CancelAsync();
        await Eventually.Within(churn, "the listener churn to stop");

        await Eventually.Until(() => stable.Count == 20_000, "the stable listener has every event");
        Assert.That(stable, Is.EqualTo(Enumerable.Range(1, 20_000).Select(i => (long)i)));
        foreach (var log in churnLogs)
        {
            var seen = log.ToArray();
            Assert.That(seen, Is.Ordered.And.Unique, "a listener that came and went saw a gap-free run in order");
            if (seen.Length > 0)
            {
                Assert.That(seen[^1] - seen[0] + 1, Is.EqualTo(seen.Length), "no event skipped while registered");
            }
        }
    }
}
