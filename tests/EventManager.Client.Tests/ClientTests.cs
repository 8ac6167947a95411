using System.Collections.Concurrent;
using System.Net;
using EventManager.AspNetCore.Tests.Support;
using EventManager.Client;

namespace EventManager.Client.Tests;

/// <summary>The .NET client against the real server on Kestrel (WebSocket and SSE), default client and server options.</summary>
[TestFixture]
public sealed class ClientTests
{
    [TestCase("/ws/events")]
    [TestCase("/events")]
    public async Task ReadEventsAsync_UnpacedBurst_YieldsEveryTypedEventInOrder(string path)
    {
        await using var server = await EventServer.StartAsync();
        await using var client = new EventManagerClient(Endpoint(server, path));
        var reading = Collect(client, 2_000);
        await ConnectedAsync(client);

        for (var i = 0; i < 2_000; i++)
        {
            server.Manager.BroadcastAgentMessage("agent-" + i, "kind", "message " + i);
        }

        var received = await Eventually.Within(reading, "every event arrives");
        Assert.Multiple(() =>
        {
            Assert.That(received, Is.All.TypeOf<AgentMessageEvent>());
            Assert.That(received.Select(e => ((AgentMessageEvent)e).Message), Is.EqualTo(Enumerable.Range(0, 2_000).Select(i => "message " + i)));
            Assert.That(received.Select(e => e.Sequence), Is.Ordered.Ascending);
        });
    }

    [TestCase("/ws/events")]
    [TestCase("/events")]
    public async Task ReadEventsAsync_ConnectionDroppedTwiceWhilePublishing_ResumesWithNoLossAndNoDuplicate(string path)
    {
        const int total = 5_000;
        await using var server = await EventServer.StartAsync();
        var resumes = new ConcurrentQueue<ResumeResult>();
        var errors = new ConcurrentQueue<Exception>();
        await using var client = new EventManagerClient(Endpoint(server, path), new EventManagerClientOptions { OnResumed = resumes.Enqueue, OnError = errors.Enqueue });
        var reading = Collect(client, total);
        await ConnectedAsync(client);

        var cut = new HashSet<string>();
        var publisher = Task.Run(async () =>
        {
            for (var i = 0; i < total; i++)
            {
                await server.Manager.PublishAsync(CustomEvent.Create("n", new { n = i }));
                if (i is 1_500 or 3_500)
                {
                    // Each cut needs a connection to cut: the second waits for the client's new connection (not the closing one)
                    // to have answered its resume, so each cut is of a connection that resumed.
                    await Eventually.Until(() => resumes.Count >= cut.Count && server.Broadcaster.GetClientIds().Any(id => !cut.Contains(id)), "the client is connected");
                    var current = server.Broadcaster.GetClientIds().First(id => !cut.Contains(id));
                    cut.Add(current);
                    await server.Broadcaster.DisconnectClientAsync(current);
                }
            }
        });

        await Eventually.Within(publisher, "the publisher finishes");
        var received = await Eventually.Within(reading, "every event arrives");

        Assert.Multiple(() =>
        {
            Assert.That(received.Select(e => ((CustomEvent)e).Data.GetProperty("n").GetInt32()), Is.EqualTo(Enumerable.Range(0, total)), "each event once, in order");
            Assert.That(client.Reconnects, Is.EqualTo(2));
            Assert.That(resumes.Select(r => r.Status), Is.EqualTo(new[] { ResumeStatus.Recovered, ResumeStatus.Recovered }));
            Assert.That(errors, Has.Count.EqualTo(2), "each lost connection is reported");
        });
    }

    [Test]
    public async Task ReadEventsAsync_EventTypesGiven_YieldsOnlyThose()
    {
        await using var server = await EventServer.StartAsync();
        await using var client = new EventManagerClient(Endpoint(server, "/ws/events"), new EventManagerClientOptions { EventTypes = ["wanted.*"] });
        var reading = Collect(client, 2);
        await ConnectedAsync(client);

        server.Manager.Publish(new CustomEvent("wanted.one"));
        server.Manager.Publish(new CustomEvent("unwanted"));
        server.Manager.Publish(new CustomEvent("wanted.two"));

        var received = await Eventually.Within(reading, "the wanted events arrive");
        Assert.That(received.Select(e => e.EventType), Is.EqualTo(new[] { "wanted.one", "wanted.two" }));
    }

    [Test]
    public async Task ReadEventsAsync_ResumingFromAnotherEpoch_ReportsEpochChanged()
    {
        await using var server = await EventServer.StartAsync();
        var resumed = new TaskCompletionSource<ResumeResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var client = new EventManagerClient(Endpoint(server, "/ws/events"), new EventManagerClientOptions
        {
            LastEventId = Guid.CreateVersion7().ToString("N"),
            Epoch = "an-earlier-epoch",
            OnResumed = r => resumed.TrySetResult(r),
        });
        _ = Collect(client, 1);

        var result = await Eventually.Within(resumed.Task, "the resume is answered");

        Assert.Multiple(() =>
        {
            Assert.That(result.Status, Is.EqualTo(ResumeStatus.EpochChanged));
            Assert.That(result.Recovered, Is.False);
            Assert.That(client.Epoch, Is.EqualTo(server.Broadcaster.Manager.Epoch));
        });
    }

    [Test]
    public async Task ReadEventsAsync_FilterTheServerRefuses_ThrowsNamingTheStatus()
    {
        await using var server = await EventServer.StartAsync();
        await using var client = new EventManagerClient(Endpoint(server, "/ws/events"), new EventManagerClientOptions { Filter = """{"no_such_key":1}""" });

        var error = Assert.ThrowsAsync<HttpRequestException>(async () => await Collect(client, 1).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.That(error!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task ReadEventsAsync_SecondEnumerationAtOnce_Throws()
    {
        await using var server = await EventServer.StartAsync();
        await using var client = new EventManagerClient(Endpoint(server, "/ws/events"));
        await using var first = client.ReadEventsAsync().GetAsyncEnumerator();
        var pending = first.MoveNextAsync();
        await ConnectedAsync(client);

        Assert.ThrowsAsync<InvalidOperationException>(async () => await client.ReadEventsAsync().GetAsyncEnumerator().MoveNextAsync());
        server.Manager.Publish(new CustomEvent("release"));
        Assert.That(await Eventually.Within(pending.AsTask(), "the first enumeration reads"), Is.True);
    }

    [Test]
    public async Task ReadEventsAsync_ServerTracedThePublish_EventCarriesTheTraceparent()
    {
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == WebSocketEventManager.ActivitySourceName,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        await using var server = await EventServer.StartAsync();
        await using var client = new EventManagerClient(Endpoint(server, "/ws/events"));
        var reading = Collect(client, 1);
        await ConnectedAsync(client);

        var published = new CustomEvent("traced");
        server.Manager.Publish(published);

        var received = (await Eventually.Within(reading, "the event arrives")).Single();
        Assert.That(received.TraceParent, Is.EqualTo(published.TraceParent).And.Not.Null);
    }

    [Test]
    public async Task ReadEventsAsync_ServerSentEventOfATypeNamedLikeAControlItem_IsYieldedAsAnEvent()
    {
        await using var server = await EventServer.StartAsync();
        await using var client = new EventManagerClient(Endpoint(server, "/events"));
        var reading = Collect(client, 3);
        await ConnectedAsync(client);

        foreach (var type in new[] { "gap", "resumed", "error" })
        {
            server.Manager.Publish(new CustomEvent(type));
        }

        var received = await Eventually.Within(reading, "the three events arrive");
        Assert.That(received.Select(e => e.EventType), Is.EqualTo(new[] { "gap", "resumed", "error" }));
    }

    [Test]
    public async Task ReadEventsAsync_ReconnectWithTheServersHistoryOff_ReportsThatNothingCouldBeResumed()
    {
        await using var server = await EventServer.StartAsync(manager: o => o.HistoryCapacity = 0);
        var resumed = new TaskCompletionSource<ResumeResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var client = new EventManagerClient(Endpoint(server, "/ws/events"), new EventManagerClientOptions { OnResumed = r => resumed.TrySetResult(r) });
        _ = Collect(client, 1);
        await Eventually.Until(() => client.Epoch is not null && server.Broadcaster.GetClientIds().Count == 1, "the client has its connected frame");

        await server.Broadcaster.DisconnectClientAsync(server.Broadcaster.GetClientIds()[0]);
        var result = await Eventually.Within(resumed.Task, "the reconnect reports");

        Assert.Multiple(() =>
        {
            Assert.That(result.Recovered, Is.False);
            Assert.That(result.Status, Is.EqualTo(ResumeStatus.Unknown));
        });
    }

    [Test]
    public async Task DisposeAsync_CalledTwice_DoesNotThrow()
    {
        await using var server = await EventServer.StartAsync();
        var client = new EventManagerClient(Endpoint(server, "/ws/events"));
        _ = Collect(client, 1);
        await ConnectedAsync(client);

        await client.DisposeAsync();

        Assert.DoesNotThrowAsync(async () => await client.DisposeAsync());
    }

    [TestCase("ftp://host/events", "endpoint")]
    [TestCase("ws://host/ws/events", "BatchSize")]
    public void Constructor_InvalidArgument_NamesIt(string endpoint, string name)
    {
        var error = Assert.Catch<ArgumentException>(() => _ = new EventManagerClient(new Uri(endpoint), new EventManagerClientOptions { BatchSize = name == "BatchSize" ? 0 : null }));

        Assert.That(error!.ParamName, Is.EqualTo(name));
    }

    /// <summary>
    /// Waits until the client has its starting position from the server's hello: from then on nothing published is missed.
    /// (A connection the server has accepted may not have sent its hello yet; events before the hello are not the client's.)
    /// </summary>
    internal static Task ConnectedAsync(EventManagerClient client) => Eventually.Until(() => client.LastEventId is not null, "the client has its starting position");

    internal static Uri Endpoint(EventServer server, string path) => path.StartsWith("/ws", StringComparison.Ordinal) ? server.WsUri(path) : server.HttpUri(path);

    /// <summary>Reads <paramref name="count"/> events from the client, on its own task.</summary>
    internal static Task<List<WebSocketEvent>> Collect(EventManagerClient client, int count) => Task.Run(async () =>
    {
        var events = new List<WebSocketEvent>(count);
        await foreach (var evt in client.ReadEventsAsync())
        {
            events.Add(evt);
            if (events.Count == count)
            {
                break;
            }
        }

        return events;
    });
}
