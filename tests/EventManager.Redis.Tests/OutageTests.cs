using EventManager.Redis.Tests.Support;
using Microsoft.Extensions.Logging;

namespace EventManager.Redis.Tests;

[TestFixture]
public sealed class OutageTests
{
    [TearDown]
    public void ReportLogsIfFailed() => MirroredInstance.ReportIfFailed();

    [Test]
    public async Task UnpacedBurstWhileTheServerIsDown_DefaultOptions_DeliveredLocallyAndCrossesInOrderAfterRestart()
    {
        // Default options throughout; the burst fits the default outbound buffer (100,000).
        const int Burst = 50_000;
        await using var server = await RedisServer.StartAsync();
        var channel = Unique();
        await using var a = await MirroredInstance.StartAsync(server.Configuration, o => o.Channel = channel);
        await using var b = await MirroredInstance.StartAsync(server.Configuration, o => o.Channel = channel);
        server.Kill();
        await Eventually.Until(() => a.Mirror.Health == RedisMirrorHealth.LocalOnly, "the mirror noticed the outage");

        for (var i = 0; i < Burst; i++)
        {
            a.Manager.BroadcastAgentMessage("agent-a", "load", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await Eventually.Until(() => a.Received.Count == Burst, "every event was delivered locally during the outage");
        await server.RestartAsync();
        await Eventually.Until(() => b.ReceivedFrom(a).Count() >= Burst, "every buffered event crossed after the restart", TimeSpan.FromMinutes(1));

        var numbers = b.ReceivedFrom(a).Cast<AgentMessageEvent>().Select(e => int.Parse(e.Message, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Multiple(() =>
        {
            Assert.That(numbers, Is.EqualTo(Enumerable.Range(0, Burst)), "each once, in publisher order");
            Assert.That(a.Mirror.GetMetrics().OutboundDropped, Is.Zero);
            Assert.That(b.Manager.GetMetrics().Listeners.Single(l => l.Name == "recorder").Dropped, Is.Zero, "the receiving recorder kept up");
        });
    }

    [Test]
    public async Task ServerKilledMidStreamAndRestarted_LocalDeliveryGoesOnAndEveryEventIsAccountedFor()
    {
        await using var server = await RedisServer.StartAsync();
        var channel = Unique();
        await using var a = await MirroredInstance.StartAsync(server.Configuration, o => o.Channel = channel);
        await using var b = await MirroredInstance.StartAsync(server.Configuration, o => o.Channel = channel);
        var published = 0;
        var paused = false;
        using var stop = new CancellationTokenSource();
        var publisher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (!Volatile.Read(ref paused))
                {
                    a.Manager.BroadcastAgentMessage("agent-a", "load", published.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    Interlocked.Increment(ref published);
                }

                await Task.Delay(1);
            }
        });

        await Eventually.Until(() => b.ReceivedFrom(a).Count() >= 200, "events flowed before the outage");

        // A message Redis accepts in the instant it is killed may never reach a subscriber, and no one can count that (see
        // docs/redis.md). Let what is in flight land, kill the server, and publish on straight through the outage.
        Volatile.Write(ref paused, true);
        await Eventually.Until(() => b.ReceivedFrom(a).Count() == Volatile.Read(ref published), "what was in flight arrived");
        server.Kill();
        Volatile.Write(ref paused, false);
        await Eventually.Until(() => a.Mirror.Health == RedisMirrorHealth.LocalOnly, "the mirror noticed the outage");
        var localDuringOutage = a.Received.Count;
        await Eventually.Until(() => a.Received.Count >= localDuringOutage + 200, "local delivery continued during the outage");
        var buffered = a.Mirror.GetMetrics().OutboundBufferDepth;
        await server.RestartAsync();
        await Eventually.Until(() => a.Mirror.Health == RedisMirrorHealth.Connected && b.Mirror.Health == RedisMirrorHealth.Connected, "both mirrors reconnected");
        var publishedByReconnect = Volatile.Read(ref published);
        await Eventually.Until(() => b.ReceivedFrom(a).Count() >= publishedByReconnect + 100, "events published after the outage crossed");
        await stop.CancelAsync();
        await Eventually.Within(publisher, "the publisher to stop");

        var total = Volatile.Read(ref published);
        await Eventually.Until(() => a.Received.Count == total, "every event was delivered locally");
        await Eventually.Until(() => b.ReceivedFrom(a).Count() + a.Mirror.GetMetrics().OutboundDropped == total, "every event reached the other instance or was counted as dropped");
        var numbers = b.ReceivedFrom(a).Cast<AgentMessageEvent>().Select(e => int.Parse(e.Message, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(buffered, Is.GreaterThan(0), "events were buffered during the outage");
            Assert.That(numbers, Is.Ordered.Ascending, "publisher order was kept across the outage");
            Assert.That(numbers, Is.Unique, "no event arrived twice");
            Assert.That(a.Mirror.GetMetrics().OutboundDropped, Is.Zero, "the buffer was large enough to hold the outage");
            Assert.That(a.Mirror.GetMetrics().Reconnects, Is.GreaterThanOrEqualTo(1));
            Assert.That(a.Logger.Entries.Any(e => e.Level == LogLevel.Warning && e.Message.Contains("LocalOnly", StringComparison.Ordinal)), Is.True, "the outage was logged");
        });
    }

    [Test]
    public async Task Start_WithNoServer_RunsLocalOnlyThenSendsItsBufferWhenTheServerStarts()
    {
        var server = RedisServer.Unstarted();
        await using var _ = server;
        var channel = Unique();
        await using var a = await MirroredInstance.StartAsync(server.Configuration, o => o.Channel = channel);

        Assert.That(a.Mirror.Health, Is.EqualTo(RedisMirrorHealth.LocalOnly));
        var early = Enumerable.Range(0, 100).Select(i => a.Manager.BroadcastAgentMessage("agent-a", "early", i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        await Eventually.Until(() => a.Received.Count == 100, "local delivery works without Redis");

        await server.RestartAsync();
        await using var b = await MirroredInstance.StartAsync(server.Configuration, o => o.Channel = channel);

        await Eventually.Until(() => b.ReceivedFrom(a).Count() == 100, "the buffered events reached the instance that joined");
        Assert.Multiple(() =>
        {
            Assert.That(b.ReceivedFrom(a).Select(e => e.EventId), Is.EqualTo(early.Select(e => e.EventId)));
            Assert.That(a.Mirror.GetMetrics().Reconnects, Is.GreaterThanOrEqualTo(1));
        });
        await Eventually.Until(() => a.Mirror.Health == RedisMirrorHealth.Connected, "the mirror is healthy");
    }

    [Test]
    public async Task Outage_LongerThanTheBufferHolds_OldestAreDroppedAndCounted()
    {
        await using var server = await RedisServer.StartAsync();
        var channel = Unique();
        await using var a = await MirroredInstance.StartAsync(server.Configuration, o => (o.Channel, o.OutboundBufferSize, o.MaxBatchSize) = (channel, 10, 5));
        await using var b = await MirroredInstance.StartAsync(server.Configuration, o => o.Channel = channel);
        a.Manager.BroadcastAgentMessage("agent-a", "before", "0");
        await Eventually.Until(() => b.ReceivedFrom(a).Count() == 1, "the first event crossed");

        server.Kill();
        await Eventually.Until(() => a.Mirror.Health == RedisMirrorHealth.LocalOnly, "the mirror noticed the outage");
        var during = Enumerable.Range(1, 50).Select(i => a.Manager.BroadcastAgentMessage("agent-a", "during", i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        await Eventually.Until(() => a.Received.Count == 51, "local delivery continued");
        await server.RestartAsync();

        await Eventually.Until(() => b.ReceivedFrom(a).Count() + a.Mirror.GetMetrics().OutboundDropped == 51 && a.Mirror.GetMetrics().OutboundBufferDepth == 0, "every event was sent or counted as dropped");
        var metrics = a.Mirror.GetMetrics();
        Assert.Multiple(() =>
        {
            Assert.That(metrics.OutboundDropped, Is.GreaterThanOrEqualTo(50 - 10 - 5 - 1), "at most the buffer, one batch and the event the enumerator holds survived");
            Assert.That(b.ReceivedFrom(a).Last().EventId, Is.EqualTo(during[^1].EventId), "drop-oldest kept the newest");
        });
    }

    [Test]
    public async Task Dispose_WhileRedisIsDown_FinishesWithinTheShutdownTimeoutAndCountsTheUnsent()
    {
        await using var server = await RedisServer.StartAsync();
        var manager = new WebSocketEventManager();
        await using var _ = manager;
        var mirror = await RedisEventMirror.StartAsync(manager, new RedisMirrorOptions
        {
            Configuration = server.Configuration,
            Channel = Unique(),
            ShutdownTimeout = TimeSpan.FromMilliseconds(300),
            RetryInterval = TimeSpan.FromMilliseconds(20),
        });
        server.Kill();
        await Eventually.Until(() => mirror.Health == RedisMirrorHealth.LocalOnly, "the mirror noticed the outage");
        for (var i = 0; i < 20; i++)
        {
            manager.BroadcastAgentMessage("agent", "kind", "unsent");
        }

        // Stopping removes the mirror's listener: events the dispatcher had not handed to it yet would never be the mirror's.
        await Eventually.Until(() => manager.GetMetrics().Listeners.Sum(l => l.Delivered + l.Pending) == 20, "the mirror's listener has every event");
        await Eventually.Within(mirror.DisposeAsync().AsTask(), "the mirror to stop", TimeSpan.FromSeconds(10));

        var metrics = mirror.GetMetrics();
        Assert.Multiple(() =>
        {
            Assert.That(metrics.Health, Is.EqualTo(RedisMirrorHealth.Stopped));
            Assert.That(metrics.OutboundDropped, Is.EqualTo(20));
            Assert.That(metrics.MirroredOut, Is.Zero);
            Assert.That(manager.ListenerCount, Is.Zero, "the mirror's listener is gone");
        });
        manager.BroadcastAgentMessage("agent", "kind", "the manager keeps working");
    }

    [Test]
    public async Task SubscriberConnectionKilled_EventsPublishedWhileItResubscribesStillArrive()
    {
        await using var server = await RedisServer.StartAsync();
        var channel = Unique();
        await using var a = await MirroredInstance.StartAsync(server.Configuration, o => o.Channel = channel, "instance-a");
        await using var b = await MirroredInstance.StartAsync(server.Configuration + ",name=subscriber-b", o => o.Channel = channel, "instance-b");
        a.Manager.BroadcastAgentMessage("agent-a", "before", "0");
        await Eventually.Until(() => b.ReceivedFrom(a).Any(), "events flowed");

        // Only B's subscription connection goes: A's writes keep succeeding, and without looking at how many subscribers each
        // reached, what A publishes before B has subscribed again would reach nobody on B's side.
        var clients = await server.CliAsync("CLIENT", "LIST", "TYPE", "pubsub");
        var id = clients.Split('\n').Single(line => line.Contains("name=subscriber-b", StringComparison.Ordinal)).Split(' ')[0].Split('=')[1];
        await server.CliAsync("CLIENT", "KILL", "ID", id);
        var during = Enumerable.Range(0, 100).Select(i => a.Manager.BroadcastAgentMessage("agent-a", "during", i.ToString(System.Globalization.CultureInfo.InvariantCulture)).EventId).ToList();

        await Eventually.Until(() => b.ReceivedFrom(a).Count() >= 101, "every event reached B once it had subscribed again");
        Assert.That(b.ReceivedFrom(a).Skip(1).Select(e => e.EventId), Is.EqualTo(during), "each once, in order");
    }

    [Test]
    public async Task Dispose_WithRedisUp_SendsWhatIsBufferedFirst()
    {
        await using var server = await RedisServer.StartAsync();
        var channel = Unique();
        await using var b = await MirroredInstance.StartAsync(server.Configuration, o => o.Channel = channel);
        var a = await MirroredInstance.StartAsync(server.Configuration, o => o.Channel = channel);
        for (var i = 0; i < 1000; i++)
        {
            a.Manager.BroadcastAgentMessage("agent-a", "kind", "x");
        }

        await Eventually.Until(() => a.Received.Count == 1000, "every event was dispatched, so the mirror holds what it has not sent yet");
        await a.Mirror.DisposeAsync();

        Assert.That(a.Mirror.GetMetrics().MirroredOut + a.Mirror.GetMetrics().OutboundDropped, Is.EqualTo(1000));
        Assert.That(a.Mirror.GetMetrics().OutboundDropped, Is.Zero);
        await Eventually.Until(() => b.ReceivedFrom(a).Count() == 1000, "everything sent before the stop arrived");
        await a.Manager.DisposeAsync();
    }

    [Test]
    public async Task Dispose_WhileWaitingForAMissingSubscriber_SendsTheBufferWithoutWaitingOutTheGracePeriod()
    {
        await using var server = await RedisServer.StartAsync();
        var channel = Unique();
        var b = await MirroredInstance.StartAsync(server.Configuration, o => o.Channel = channel, "leaving-b");
        var a = await MirroredInstance.StartAsync(server.Configuration, o => (o.Channel, o.ReconnectGracePeriod) = (channel, TimeSpan.FromMinutes(1)), "stopping-a");
        a.Manager.BroadcastAgentMessage("agent-a", "first", "reaches both");
        await Eventually.Until(() => b.ReceivedFrom(a).Any() && a.Mirror.GetMetrics().MirroredOut == 1, "the first event reached two subscribers");
        await b.DisposeAsync();

        for (var i = 0; i < 10; i++)
        {
            a.Manager.BroadcastAgentMessage("agent-a", "after", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await Eventually.Until(() => a.Logger.Entries.Any(e => e.Message.Contains("fewer Redis subscribers", StringComparison.Ordinal)), "A is waiting for the subscriber that left");
        await Eventually.Within(a.Mirror.DisposeAsync().AsTask(), "the mirror to stop", TimeSpan.FromSeconds(20));

        var metrics = a.Mirror.GetMetrics();
        Assert.Multiple(() =>
        {
            Assert.That(metrics.OutboundDropped, Is.Zero, "stopping sent the buffer instead of waiting for a subscriber until the shutdown timeout");
            Assert.That(metrics.MirroredOut, Is.EqualTo(11));
        });
        await a.Manager.DisposeAsync();
    }

    [Test]
    public async Task Dispose_WhileEventsWaitInTheManagersIngress_SendsThemBeforeStopping()
    {
        await using var server = await RedisServer.StartAsync();
        var channel = Unique();
        await using var b = await MirroredInstance.StartAsync(server.Configuration, o => o.Channel = channel);
        var a = await MirroredInstance.StartAsync(server.Configuration, o => o.Channel = channel);
        var stall = await StalledDispatcher.StallAsync(a.Manager);
        for (var i = 0; i < 100; i++)
        {
            a.Manager.BroadcastAgentMessage("agent-a", "kind", "queued behind the stall");
        }

        var stopping = a.Mirror.DisposeAsync().AsTask();

        // Give a stop that ignored the queued events time to finish without them, then let the dispatcher go on.
        await Task.WhenAny(stopping, Task.Delay(500));
        stall.Release();
        await Eventually.Within(stopping, "the mirror to stop");
        var metrics = a.Mirror.GetMetrics();
        Assert.That(metrics.MirroredOut + metrics.OutboundDropped, Is.EqualTo(103), "the 3 events of the stall and the 100 behind it were sent or counted");
        Assert.That(metrics.OutboundDropped, Is.Zero);
        await Eventually.Until(() => b.ReceivedFrom(a).Count() == 103, "everything sent arrived");
        await a.Manager.DisposeAsync();
    }

    private static string Unique() => "outage:" + Guid.NewGuid().ToString("N");
}
