using System.Net;
using System.Text.Json;
using EventManager.Sockets;

namespace EventManager.Sockets.Tests;

[TestFixture]
public sealed class ResumeTests
{
    private const int Count = 20_000;
    private const int WhileConnected = 5_000;
    private const int WhileAway = 12_500;

    [Test]
    public async Task WebSocket_DroppedUnderLoadAndResumed_DefaultOptions_GetsEveryEventOnceInOrder()
    {
        // Default options: the replay (at most 9,500 events, from the 3,000th up to 12,500) fits the default history of 10,000.
        await using var server = SocketHost.Start();
        var received = new List<int>();
        var first = await server.ConnectAsync(new());
        await first.NextAsync("connected");
        await NumberedLoad.PublishAsync(server.Manager, 0, WhileConnected);
        var lastId = await ReadSome(first, received, 3000);
        first.Socket.Abort();
        first.Socket.Dispose();
        await NumberedLoad.PublishAsync(server.Manager, WhileConnected, WhileAway);

        await using var second = await server.ConnectAsync(new() { LastEventId = lastId });
        await second.NextAsync("connected");
        var resumed = (await second.NextAsync("resumed")).GetProperty("payload");
        var live = NumberedLoad.PublishAsync(server.Manager, WhileAway, Count);
        await ReadSome(second, received, Count - received.Count);
        await Eventually.Within(live, "the live phase published");

        Assert.Multiple(() =>
        {
            Assert.That(resumed.GetProperty("recovered").GetBoolean(), Is.True);
            Assert.That(resumed.GetProperty("status").GetString(), Is.EqualTo("recovered"));
            Assert.That(received, Is.EqualTo(Enumerable.Range(0, Count)), "every event exactly once, in order");
            Assert.That(server.Broadcaster.GetMetrics().ResumesRecovered, Is.EqualTo(1));
            Assert.That(server.Broadcaster.GetMetrics().EventsReplayed, Is.EqualTo(resumed.GetProperty("replayed").GetInt64()));
        });
    }

    [Test]
    public async Task ResumeFrame_FirstThingAfterConnecting_ReplaysWhatWasMissed()
    {
        await using var server = SocketHost.Start();
        var events = await PublishFiveAsync(server);
        await using var client = await server.ConnectAsync(new() { BatchWindow = TimeSpan.Zero });
        await client.NextAsync("connected");

        await client.SendAsync(new { type = "resume", payload = new { last_event_id = events[1].EventId } });

        var resumed = (await client.NextAsync("resumed")).GetProperty("payload");
        Assert.That(resumed.GetProperty("replayed").GetInt32(), Is.EqualTo(3));
        var replayed = await client.EventsAsync(3);
        Assert.That(replayed.Select(e => e.GetProperty("event_id").GetString()), Is.EqualTo(events.Skip(2).Select(e => e.EventId)));
    }

    [Test]
    public async Task ResumeFrame_SentAgainOnAnIdleConnection_IsAnsweredEachTime()
    {
        await using var server = SocketHost.Start();
        var events = await PublishFiveAsync(server);
        await using var client = await server.ConnectAsync(new() { BatchWindow = TimeSpan.Zero });
        await client.NextAsync("connected");

        // Each resume frame arrives while the send loop waits for events: the request alone must wake it, every time.
        await client.SendAsync(new { type = "resume", payload = new { last_event_id = events[3].EventId } });
        var first = (await client.NextAsync("resumed")).GetProperty("payload").GetProperty("replayed").GetInt32();
        await client.EventsAsync(1);
        await client.SendAsync(new { type = "resume", payload = new { last_event_id = events[0].EventId } });
        var second = (await client.NextAsync("resumed")).GetProperty("payload").GetProperty("replayed").GetInt32();

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo(1));
            Assert.That(second, Is.EqualTo(4), "the history holds four events after the second id, though this connection sent one of them");
        });
    }

    [Test]
    public async Task Resume_UnderTheDisconnectPolicy_ReplaysWhatWasMissed()
    {
        await using var server = SocketHost.Start(o => o.SlowClientPolicy = SlowClientPolicy.Disconnect);
        var seen = new CustomEvent("seen");
        server.Manager.Publish(seen);
        var missed = Enumerable.Range(0, 20).Select(i => CustomEvent.Create("missed", new { n = i })).ToList();
        missed.ForEach(server.Manager.Publish);
        await Eventually.Until(() => server.Manager.GetMetrics().Dispatched == 21, "the events were dispatched");

        await using var client = await server.ConnectAsync(new() { BatchWindow = TimeSpan.Zero, LastEventId = seen.EventId });

        var resumed = (await client.NextAsync("resumed")).GetProperty("payload");
        Assert.That(resumed.GetProperty("replayed").GetInt32(), Is.EqualTo(20));
        var replayed = await client.EventsAsync(20);
        Assert.That(replayed.Select(e => e.GetProperty("event_id").GetString()), Is.EqualTo(missed.Select(e => e.EventId)));
    }

    [Test]
    public async Task WebSocket_ConnectedFrame_NamesThePositionToResumeFrom()
    {
        await using var server = SocketHost.Start();
        var first = await server.ConnectAsync(new() { BatchWindow = TimeSpan.Zero });
        var position = (await first.NextAsync("connected")).GetProperty("payload").GetProperty("last_event_id").GetString();
        first.Socket.Abort();
        var meanwhile = new CustomEvent("meanwhile");
        server.Manager.Publish(meanwhile);
        await Eventually.Until(() => server.Manager.GetMetrics().Dispatched == 1, "the event was dispatched");

        await using var second = await server.ConnectAsync(new() { BatchWindow = TimeSpan.Zero, LastEventId = position });

        Assert.That((await second.NextAsync("resumed")).GetProperty("payload").GetProperty("replayed").GetInt32(), Is.EqualTo(1));
        Assert.That((await second.NextAsync("event")).GetProperty("event_id").GetString(), Is.EqualTo(meanwhile.EventId));
    }

    [Test]
    public async Task ResumeFrame_AfterAGap_SendsExactlyTheEventsTheQueueDropped()
    {
        await using var server = SocketHost.Start(o => o.SendQueueCapacity = 16);
        var stalled = await server.ConnectAsync(new() { BatchWindow = TimeSpan.Zero }, read: false);
        await Eventually.Until(() => server.Broadcaster.ClientCount == 1, "the client is registered");
        var payload = new string('p', 64 * 1024);
        var published = Enumerable.Range(0, 200).Select(i => CustomEvent.Create("big", new { n = i, payload })).ToList();

        // Large events fill the socket buffers while the client does not read: some are sent, then its queue drops some.
        published.ForEach(server.Manager.Publish);
        await Eventually.Until(() => server.Manager.GetMetrics().Dispatched == published.Count, "every event was dispatched");
        await Eventually.Until(() => server.Manager.GetMetrics().Listeners.Single().Dropped > 0, "the client's queue overflowed");
        await using var client = WsClient.Over(stalled.Socket);
        var position = (await client.NextAsync("connected")).GetProperty("payload").GetProperty("last_event_id").GetString();
        var received = new List<string>();
        while ((await client.NextAsync()) is var frame && frame.GetProperty("type").GetString() != "gap")
        {
            received.Add(frame.GetProperty("event_id").GetString()!);
        }

        // From where the connection started: what it sent is not sent again, what its queue dropped (the holes between the
        // runs it sent, wherever the gap frames fell) is.
        await client.SendAsync(new { type = "resume", payload = new { last_event_id = position } });
        while (received.Count < published.Count)
        {
            var frame = await client.NextAsync();
            if (frame.GetProperty("type").GetString() == "event")
            {
                received.Add(frame.GetProperty("event_id").GetString()!);
            }
        }

        Assert.That(received, Is.Unique, "nothing sent twice");
        Assert.That(received.Order(), Is.EqualTo(published.Select(e => e.EventId).Order()), "every event, the dropped ones through the resume");
    }

    [Test]
    public async Task Resume_PastTheDefaultHistoryLimit_SaysNotRecovered()
    {
        // Default options: the history keeps the newest 10,000 events, and an unpaced burst pushes the old event out of it.
        await using var server = SocketHost.Start();
        var old = new CustomEvent("old");
        server.Manager.Publish(old);
        for (var i = 0; i < EventManagerOptions.DefaultHistoryCapacity + 50; i++)
        {
            server.Manager.Publish(new CustomEvent("newer"));
        }

        await Eventually.Until(() => server.Manager.GetMetrics().Dispatched == EventManagerOptions.DefaultHistoryCapacity + 51, "the events were dispatched");

        await using var client = await server.ConnectAsync(new() { LastEventId = old.EventId });

        var resumed = (await client.NextAsync("resumed")).GetProperty("payload");
        Assert.Multiple(() =>
        {
            Assert.That(resumed.GetProperty("recovered").GetBoolean(), Is.False);
            Assert.That(resumed.GetProperty("status").GetString(), Is.EqualTo("history_exceeded"));
            Assert.That(server.Broadcaster.GetMetrics().ResumesNotRecovered, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Resume_FromAnotherEpochWithAnIdNotKept_SaysEpochChanged()
    {
        await using var server = SocketHost.Start();
        var fromTheOldStream = Guid.CreateVersion7().ToString("N");

        await using var client = await server.ConnectAsync(new() { LastEventId = fromTheOldStream, Epoch = "0123456789abcdef0123456789abcdef" });

        var resumed = (await client.NextAsync("resumed")).GetProperty("payload");
        Assert.That(resumed.GetProperty("status").GetString(), Is.EqualTo("epoch_changed"));
    }

    [Test]
    public async Task Resume_FromAnotherEpochWithAnIdStillKept_Recovers()
    {
        await using var server = SocketHost.Start();
        var evt = new CustomEvent("x");
        server.Manager.Publish(evt);
        await Eventually.Until(() => server.Manager.GetMetrics().Dispatched == 1, "the event was dispatched");

        await using var client = await server.ConnectAsync(new() { LastEventId = evt.EventId, Epoch = "0123456789abcdef0123456789abcdef" });

        Assert.That((await client.NextAsync("resumed")).GetProperty("payload").GetProperty("recovered").GetBoolean(), Is.True, "event ids are unique, so a kept one marks its place whatever the epoch");
    }

    [Test]
    public async Task Resume_WithAForeignId_GetsAnErrorFrameAndStaysConnected()
    {
        await using var server = SocketHost.Start();
        var foreign = Guid.CreateVersion7().ToString("N");
        await using var client = await server.ConnectAsync(new() { BatchWindow = TimeSpan.Zero, LastEventId = foreign });

        var error = (await client.NextAsync("error")).GetProperty("payload");
        var live = new CustomEvent("still.live");
        server.Manager.Publish(live);

        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("unknown_event_id"));
        Assert.That((await client.NextAsync("event")).GetProperty("event_id").GetString(), Is.EqualTo(live.EventId));
    }

    [Test]
    public async Task ResumeFrame_WithAGarbageId_GetsAnErrorFrameAndStaysConnected()
    {
        await using var server = SocketHost.Start();
        await using var client = await server.ConnectAsync();
        await client.NextAsync("connected");

        await client.SendAsync(new { type = "resume", payload = new { last_event_id = "<script>" } });

        Assert.That((await client.NextAsync("error")).GetProperty("payload").GetProperty("field").GetString(), Is.EqualTo("payload.last_event_id"));
        await client.SendAsync(new { type = "ping" });
        await client.NextAsync("pong");
    }

    /// <summary>Publishes five events and waits until they are dispatched, so the history holds them before a client connects.</summary>
    private static async Task<List<CustomEvent>> PublishFiveAsync(SocketHost server)
    {
        var events = Enumerable.Range(0, 5).Select(i => CustomEvent.Create("load", new { n = i })).ToList();
        events.ForEach(server.Manager.Publish);
        await Eventually.Until(() => server.Manager.GetMetrics().Dispatched == 5, "the events were dispatched");
        return events;
    }

    /// <summary>Reads events into <paramref name="received"/> until <paramref name="count"/> more arrived; returns the last id.</summary>
    private static async Task<string> ReadSome(WsClient client, List<int> received, int count)
    {
        string last = "";
        var target = received.Count + count;
        while (received.Count < target)
        {
            foreach (var evt in await client.EventsAsync(1))
            {
                received.Add(evt.GetProperty("data").GetProperty("n").GetInt32());
                last = evt.GetProperty("event_id").GetString()!;
            }
        }

        return last;
    }
}
