using System.Net;
using System.Text.Json;
using EventManager.AspNetCore.Tests.Support;
using EventManager.Sockets;

namespace EventManager.AspNetCore.Tests;

[TestFixture]
public sealed class ResumeTests
{
    private const int Count = 20_000;
    private const int WhileConnected = 5_000;
    private const int WhileAway = 12_500;

    [Test]
    public async Task Stream_DroppedUnderLoadAndResumedWithLastEventId_DefaultOptions_GetsEveryEventOnceInOrder()
    {
        // Default options: the replay (at most 9,500 events, from the 3,000th up to 12,500) fits the default history of 10,000.
        await using var server = await EventServer.StartAsync();
        var received = new List<int>();
        var first = await SseClient.ConnectAsync(server.HttpUri("/events?filter=" + Uri.EscapeDataString("""{"event_types":["load"]}""")));
        await first.NextAsync(m => m.Event == "session_stream_started");
        await NumberedLoad.PublishAsync(server.Manager, 0, WhileConnected);
        string? lastId = null;
        while (received.Count < 3000)
        {
            var message = await first.NextAsync(m => m.Event == "load");
            received.Add(JsonDocument.Parse(message.Data).RootElement.GetProperty("data").GetProperty("n").GetInt32());
            lastId = message.Id;
        }

        await first.DisposeAsync();
        await NumberedLoad.PublishAsync(server.Manager, WhileConnected, WhileAway);
        await using var second = await SseClient.ConnectAsync(server.HttpUri("/events?filter=" + Uri.EscapeDataString("""{"event_types":["load"]}""")), lastId);
        var resumed = await second.NextAsync(m => m.Event == "resumed");
        var live = NumberedLoad.PublishAsync(server.Manager, WhileAway, Count);
        while (received.Count < Count)
        {
            var message = await second.NextAsync(m => m.Event == "load");
            received.Add(JsonDocument.Parse(message.Data).RootElement.GetProperty("data").GetProperty("n").GetInt32());
        }

        await Eventually.Within(live, "the live phase published");
        Assert.That(JsonDocument.Parse(resumed.Data).RootElement.GetProperty("payload").GetProperty("recovered").GetBoolean(), Is.True);
        Assert.That(received, Is.EqualTo(Enumerable.Range(0, Count)), "every event exactly once, in order");
    }

    [Test]
    public async Task Stream_ReconnectingBeforeItsFirstEventWithTheHelloId_GetsTheEventsPublishedMeanwhile()
    {
        await using var server = await EventServer.StartAsync();
        server.Manager.Publish(new CustomEvent("before"));
        await Eventually.Until(() => server.Manager.GetMetrics().Dispatched == 1, "the first event was dispatched");
        var first = await SseClient.ConnectAsync(server.HttpUri("/events"));
        var hello = await first.NextAsync(m => m.Event == "session_stream_started");
        await first.DisposeAsync();
        var meanwhile = Enumerable.Range(0, 5).Select(_ => new CustomEvent("meanwhile")).ToList();
        meanwhile.ForEach(server.Manager.Publish);
        await Eventually.Until(() => server.Manager.GetMetrics().Dispatched == 6, "the events were dispatched");

        await using var second = await SseClient.ConnectAsync(server.HttpUri("/events"), hello.Id);

        var resumed = JsonDocument.Parse((await second.NextAsync(m => m.Event == "resumed")).Data).RootElement.GetProperty("payload");
        Assert.That(resumed.GetProperty("replayed").GetInt32(), Is.EqualTo(5));
        var ids = new List<string?>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await second.NextAsync(m => m.Event == "meanwhile")).Id);
        }

        Assert.That(ids, Is.EqualTo(meanwhile.Select(e => e.EventId)));
    }

    [Test]
    public async Task Stream_ReconnectingBeforeAnyEventOfTheStreamWithTheHelloId_GetsTheEventsPublishedMeanwhile()
    {
        await using var server = await EventServer.StartAsync();
        var first = await SseClient.ConnectAsync(server.HttpUri("/events"));
        var hello = await first.NextAsync(m => m.Event == "session_stream_started");
        await first.DisposeAsync();
        var meanwhile = new CustomEvent("meanwhile");
        server.Manager.Publish(meanwhile);
        await Eventually.Until(() => server.Manager.GetMetrics().Dispatched == 1, "the event was dispatched");

        await using var second = await SseClient.ConnectAsync(server.HttpUri("/events"), hello.Id);

        var resumed = JsonDocument.Parse((await second.NextAsync(m => m.Event == "resumed")).Data).RootElement.GetProperty("payload");
        Assert.That(resumed.GetProperty("replayed").GetInt32(), Is.EqualTo(1));
        Assert.That((await second.NextAsync(m => m.Event == "meanwhile")).Id, Is.EqualTo(meanwhile.EventId));
    }

    [Test]
    public async Task ConnectQuery_WithAGarbageId_Is400()
    {
        await using var server = await EventServer.StartAsync();

        Assert.That(await WsClient.RefusedAsync(server.WsUri("/ws/events?last_event_id=%3Cscript%3E")), Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task EventManagerJs_AfterADroppedConnection_ResumesWithoutLossOrDuplicates()
    {
        await using var server = await EventServer.StartAsync();
        await using var node = NodeProcess.Start("eventmanager-client.js", server.Http.ToString(), server.WsUri("/ws/events").ToString());
        await node.WaitForLineAsync(l => l == "status connected", "with the first connection");
        var before = new CustomEvent("test.before");
        server.Manager.Publish(before);
        await node.WaitForLineAsync(l => l.StartsWith("event test.before", StringComparison.Ordinal), "with the first event");

        var (missed, events) = await DropPublishAndResumeAsync(server, node);
        Assert.That(events, Is.EqualTo(new[] { $"event test.before {before.EventId}" }.Concat(missed.Select(e => $"event test.missed {e.EventId}")).Append(events[^1])));
    }

    [Test]
    public async Task EventManagerJs_DroppedBeforeItsFirstEvent_ResumesFromWhereItsConnectionStarted()
    {
        await using var server = await EventServer.StartAsync();
        await using var node = NodeProcess.Start("eventmanager-client.js", server.Http.ToString(), server.WsUri("/ws/events").ToString());
        await node.WaitForLineAsync(l => l == "status connected", "with the first connection");

        var (missed, events) = await DropPublishAndResumeAsync(server, node);
        Assert.That(events, Is.EqualTo(missed.Select(e => $"event test.missed {e.EventId}").Append(events[^1])));
    }

    /// <summary>
    /// Cuts the eventmanager.js client off, publishes three events while it is away, waits for its resume, then ends it with
    /// <c>test.done</c>; returns the events missed and the client's event lines.
    /// </summary>
    private static async Task<(List<CustomEvent> Missed, List<string> Events)> DropPublishAndResumeAsync(EventServer server, NodeProcess node)
    {
        await server.Broadcaster.DisconnectClientAsync(server.Broadcaster.GetClientIds().Single(), EventSocketCloseCodes.SlowConsumer);
        var missed = Enumerable.Range(0, 3).Select(_ => new CustomEvent("test.missed")).ToList();
        missed.ForEach(server.Manager.Publish);
        await node.WaitForLineAsync(l => l.StartsWith("resume true recovered", StringComparison.Ordinal), "with the resume");
        server.Manager.Publish(new CustomEvent("test.done"));

        Assert.That(await node.ExitCodeAsync(), Is.Zero, string.Join('\n', node.Output));
        var events = node.Output.Where(l => l.StartsWith("event ", StringComparison.Ordinal)).ToList();
        return (missed, events);
    }
}
