using System.Net.WebSockets;
using EventManager.Sockets;

namespace EventManager.Sockets.Tests;

/// <remarks>
/// Run twice: over a plain WebSocket handed to the public <c>ConnectClientAsync</c>, and with frames written to the connection
/// directly, as for a socket <c>MapEventWebSocket</c> accepted (<c>framed</c>).
/// </remarks>
[TestFixture(false)]
[TestFixture(true)]
public sealed class SlowClientTests(bool framed)
{
    [Test]
    public async Task ClientThatNeverReads_DoesNotHoldBackAnotherReceiving100000EventsInOrder()
    {
        await using var server = SocketHost.Start(framed: framed, configure: o => o.SendQueueCapacity = 20_000);
        await using var stalled = await server.ConnectAsync(read: false);
        await using var reader = await server.ConnectAsync(new() { BatchSize = 500, BatchWindow = TimeSpan.FromMilliseconds(10) });
        await reader.NextAsync("connected");
        await Eventually.Until(() => server.Broadcaster.ClientCount == 2, "both clients are registered");
        const int Count = 100_000;
        const int Chunk = 10_000;
        var received = new List<int>(Count);
        var receiving = Task.Run(async () =>
        {
            while (Volatile.Read(ref received).Count < Count)
            {
                foreach (var evt in await reader.EventsAsync(1, TimeSpan.FromMinutes(1)))
                {
                    lock (received)
                    {
                        received.Add(evt.GetProperty("data").GetProperty("n").GetInt32());
                    }
                }
            }
        });

        // The publisher never waits on a client; it only paces itself to what the healthy client reads, as a real source
        // of 100,000 events over time would be, while the stalled client's queue overflows.
        for (var i = 0; i < Count; i++)
        {
            server.Manager.Publish(CustomEvent.Create("load", new { n = i }));
            if (i % Chunk == Chunk - 1)
            {
                var published = i + 1;
                await Eventually.Until(() => ReceivedCount(received) >= published - Chunk, "the reading client keeps up", TimeSpan.FromMinutes(1));
            }
        }

        await Eventually.Within(receiving, "all events to arrive", TimeSpan.FromMinutes(2));
        Assert.That(received, Is.EqualTo(Enumerable.Range(0, Count)), "every event, once, in order");
        Assert.That(server.Manager.GetMetrics().Rejected, Is.Zero, "the publisher was never refused");
        await Eventually.Until(() => server.Manager.GetMetrics().Listeners.Any(l => l.Dropped > 0), "the stalled client's own queue dropped its oldest events");
        Assert.That(server.Broadcaster.GetMetrics().ConnectedClients, Is.EqualTo(2), "the stalled client is still connected, losing only its own events");
    }

    [Test]
    public async Task ReadingClientBesideAStalledOne_DefaultOptionsAndAnUnpacedBurst_ReceivesEveryEventInOrder()
    {
        // As large as the default queue of a client: a burst of this size reaches a reading client whole, whatever its speed.
        const int Burst = 60_000;
        await using var server = SocketHost.Start(framed: framed);
        await using var stalled = await server.ConnectAsync(read: false);
        await using var reader = await server.ConnectAsync();
        await reader.NextAsync("connected");
        await Eventually.Until(() => server.Broadcaster.ClientCount == 2, "both clients are registered");

        var accepted = 0;
        for (var i = 0; i < Burst; i++)
        {
            accepted += server.Manager.TryPublish(CustomEvent.Create("load", new { n = i })) ? 1 : 0;
        }

        var received = (await reader.EventsAsync(Burst, TimeSpan.FromMinutes(1))).Select(e => e.GetProperty("data").GetProperty("n").GetInt32());
        Assert.That(accepted, Is.EqualTo(Burst));
        Assert.That(received, Is.EqualTo(Enumerable.Range(0, Burst)), "every event, once, in order");
        Assert.That(server.Broadcaster.GetMetrics().ConnectedClients, Is.EqualTo(2), "the stalled client is still connected");
    }

    [Test]
    public async Task StalledClient_DefaultOptionsAndAnUnpacedBurstPastItsQueue_IsToldExactlyHowManyItMissed()
    {
        // Well past the default queue of a client (65,536 events) and what the loopback socket's buffers hold (megabytes).
        const int Burst = 200_000;
        var padding = new string('p', 512);
        await using var server = SocketHost.Start(framed: framed);
        await using var client = await server.ConnectAsync(read: false);
        await Eventually.Until(() => server.Broadcaster.ClientCount == 1, "the client is registered");

        // PublishAsync waits only while the ingress is full (its default policy), so every event gets past it.
        for (var i = 0; i < Burst; i++)
        {
            await server.Manager.PublishAsync(CustomEvent.Create("load", new { n = i, padding }));
        }

        var reading = await StartReadingAsync(client);
        var received = new List<int>();
        long told = 0;

        // The newest event is never the one dropped (the queue drops its oldest), and every gap frame precedes it.
        while (received.Count == 0 || received[^1] != Burst - 1)
        {
            var frame = await reading.NextAsync();
            switch (frame.GetProperty("type").GetString())
            {
                case "gap":
                    told += frame.GetProperty("payload").GetProperty("missed").GetInt64();
                    break;
                case "batch":
                    received.AddRange(frame.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("data").GetProperty("n").GetInt32()));
                    break;
            }
        }

        var dropped = server.Manager.GetMetrics().Listeners.Single().Dropped;
        Assert.Multiple(() =>
        {
            Assert.That(dropped, Is.GreaterThan(0), "the burst overflowed the client's queue");
            Assert.That(received.Count + told, Is.EqualTo(Burst), "each event arrived or was told of");
            Assert.That(told, Is.EqualTo(dropped), "gap frames told exactly what the queue dropped");
            Assert.That(server.Broadcaster.GetMetrics().EventsDropped, Is.EqualTo(dropped));
            Assert.That(received, Is.Ordered.And.Unique, "what did arrive, arrived once and in order");
        });
    }

    private static int ReceivedCount(List<int> received)
    {
        lock (received)
        {
            return received.Count;
        }
    }

    [Test]
    public async Task ClientThatFallsBehind_IsToldHowManyEventsItMissed()
    {
        await using var server = SocketHost.Start(framed: framed, configure: o => o.SendQueueCapacity = 16);
        await using var client = await server.ConnectAsync(new() { BatchSize = 1000, BatchWindow = TimeSpan.Zero }, read: false);
        await Eventually.Until(() => server.Broadcaster.ClientCount == 1, "the client is registered");

        // Large events fill the socket buffers quickly, so the client's queue overflows while it does not read.
        var payload = new string('p', 64 * 1024);
        for (var i = 0; i < 400; i++)
        {
            server.Manager.Publish(CustomEvent.Create("big", new { payload }));
        }

        await Eventually.Until(() => server.Manager.GetMetrics().Listeners.Single().Dropped > 0, "the client's queue overflowed");
        var reading = await StartReadingAsync(client);
        var gap = await reading.NextAsync("gap");
        Assert.That(gap.GetProperty("payload").GetProperty("missed").GetInt64(), Is.GreaterThan(0));
        Assert.That(server.Broadcaster.GetMetrics().EventsDropped, Is.GreaterThan(0));
    }

    [Test]
    public async Task ClientThatFallsBehind_UnderDisconnectPolicy_IsClosedAsSlowConsumer()
    {
        await using var server = SocketHost.Start(framed: framed, configure: o =>
        {
            o.SendQueueCapacity = 16;
            o.SlowClientPolicy = SlowClientPolicy.Disconnect;
            o.CloseTimeout = TimeSpan.FromSeconds(1);
        });
        await using var client = await server.ConnectAsync(new() { BatchWindow = TimeSpan.Zero }, read: false);
        await Eventually.Until(() => server.Broadcaster.ClientCount == 1, "the client is registered");
        var payload = new string('p', 64 * 1024);

        for (var i = 0; i < 400; i++)
        {
            server.Manager.Publish(CustomEvent.Create("big", new { payload }));
        }

        await Eventually.Until(() => server.Broadcaster.ClientCount == 0, "the slow client was disconnected");
        Assert.That(server.Logs.Select(l => l.Message), Has.Some.Contains($"code {EventSocketCloseCodes.SlowConsumer}: send queue overflow"));
    }

    [Test]
    public async Task ClientThatStopsReading_UnpacedBurstUnderDisconnectPolicyWithDefaultQueue_IsClosedForQueueOverflow()
    {
        // Past the default queue of a client (65,536 events) and what the loopback socket's buffers hold.
        const int Burst = 200_000;
        await using var server = SocketHost.Start(framed: framed, configure: o => o.SlowClientPolicy = SlowClientPolicy.Disconnect);
        await using var client = await server.ConnectAsync(read: false);
        await Eventually.Until(() => server.Broadcaster.ClientCount == 1, "the client is registered");
        var padding = new string('p', 512);

        for (var i = 0; i < Burst; i++)
        {
            await server.Manager.PublishAsync(CustomEvent.Create("load", new { n = i, padding }));
        }

        await Eventually.Until(() => server.Broadcaster.ClientCount == 0, "the slow client was disconnected");

        // 4001 also ends a send that outlasts SendTimeout; the reason tells the queue's overflow apart.
        Assert.That(server.Logs.Select(l => l.Message), Has.Some.Contains($"code {EventSocketCloseCodes.SlowConsumer}: send queue overflow"));
    }

    [Test]
    public async Task Send_ToAClientThatStoppedReading_IsAbortedOnceItOutlastsTheSendTimeout()
    {
        var time = new ManualTimeProvider();
        await using var server = SocketHost.Start(framed: framed, configure: o => o.SendTimeout = TimeSpan.FromSeconds(5), time: time);
        await using var client = await server.ConnectAsync(new() { BatchWindow = TimeSpan.Zero }, read: false);
        await Eventually.Until(() => server.Broadcaster.ClientCount == 1, "the client is registered");
        await StuckClient.PublishUntilCutOffAsync(server.Manager, server.Broadcaster, time, TimeSpan.FromSeconds(5));
        Assert.That(server.Logs.Any(l => l.Message.Contains("a send took longer than the send timeout", StringComparison.Ordinal)), Is.True);
    }

    /// <summary>A client created with read: false, read from now on by a second reader over the same socket.</summary>
    private static Task<WsClient> StartReadingAsync(WsClient client) => WsClient.AttachReaderAsync(client);
}
