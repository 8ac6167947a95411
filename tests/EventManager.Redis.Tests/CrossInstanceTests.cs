using EventManager.Redis.Tests.Support;

namespace EventManager.Redis.Tests;

[TestFixture]
public sealed class CrossInstanceTests
{
    private RedisServer _server = null!;

    [OneTimeSetUp]
    public async Task StartServer() => _server = await RedisServer.StartAsync();

    [TearDown]
    public void ReportLogsIfFailed() => MirroredInstance.ReportIfFailed();

    [OneTimeTearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task Publish_AllTypedEventsOnEitherInstance_ReachTheOtherWithEnvelopeKept()
    {
        var channel = Unique();
        await using var a = await MirroredInstance.StartAsync(_server.Configuration, o => o.Channel = channel);
        await using var b = await MirroredInstance.StartAsync(_server.Configuration, o => o.Channel = channel);

        WebSocketEvent[] fromA =
        [
            a.Manager.BroadcastAgentMessage("agent-1", "cognitive_psychologist", "hello from A", new Sentiment(0.5, SentimentLabel.Positive)),
            a.Manager.BroadcastNetworkUpdate([new NetworkConnection("agent-1", "agent-2", 0.7, true, ConnectionType.Normal)]),
            a.Manager.BroadcastSystemStatus(SystemHealthStatus.Healthy, new Dictionary<string, double> { ["cpu_percent"] = 10, ["memory_percent"] = 20 }, 2, 0),
        ];
        WebSocketEvent[] fromB =
        [
            b.Manager.BroadcastAgentMessage("agent-9", "sociologist", "hello from B"),
            b.Manager.BroadcastNetworkUpdate([new NetworkConnection("agent-9", "agent-1", 0.2, true, ConnectionType.Emergency)], eventType: "emergency_mode"),
            b.Manager.BroadcastSystemStatus(SystemHealthStatus.Warning, new Dictionary<string, double> { ["cpu_percent"] = 80, ["memory_percent"] = 50 }, 5, 1),
        ];

        await Eventually.Until(() => b.ReceivedFrom(a).Count() == 3 && a.ReceivedFrom(b).Count() == 3, "each instance received the other's three events");

        AssertSameEvents(b.ReceivedFrom(a).ToList(), fromA);
        AssertSameEvents(a.ReceivedFrom(b).ToList(), fromB);
    }

    [Test]
    public async Task Publish_OwnEventComesBackFromRedis_IsSuppressedAndDeliveredLocallyOnce()
    {
        await using var a = await MirroredInstance.StartAsync(_server.Configuration, o => o.Channel = Unique());

        var evt = a.Manager.BroadcastAgentMessage("agent-1", "analyst", "only once");

        // The echo and the publish's reply come back on different connections, in either order.
        await Eventually.Until(() => a.Mirror.GetMetrics() is { EchoesSuppressed: 1, MirroredOut: >= 1 }, "the echo came back and was suppressed, and the write was confirmed");
        Assert.Multiple(() =>
        {
            Assert.That(a.Received.Count(e => e.EventId == evt.EventId), Is.EqualTo(1));
            Assert.That(a.Mirror.GetMetrics().MirroredIn, Is.Zero);
            Assert.That(a.Mirror.GetMetrics().MirroredOut, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Publish_ForeignJsonFromRedisCli_IsDeliveredToEveryInstanceOnceWithItsEnvelope()
    {
        var channel = Unique();
        await using var a = await MirroredInstance.StartAsync(_server.Configuration, o => o.Channel = channel);
        await using var b = await MirroredInstance.StartAsync(_server.Configuration, o => o.Channel = channel);
        const string json = """
            {"event_type":"agent_message","timestamp":"2025-01-02T03:04:05.000Z","event_id":"foreign-1",
             "data":{"agent_id":"py-agent","agent_type":"legacy","message":"from python","sentiment":{"score":0.1,"label":"neutral"}}}
            """;

        var receivers = await _server.CliAsync("PUBLISH", channel, json);

        Assert.That(receivers, Is.EqualTo("2"));
        await Eventually.Until(() => a.Received.Any(e => e.EventId == "foreign-1") && b.Received.Any(e => e.EventId == "foreign-1"), "both instances delivered the foreign event");
        var delivered = (AgentMessageEvent)a.Received.Single(e => e.EventId == "foreign-1");
        Assert.Multiple(() =>
        {
            Assert.That(delivered.Message, Is.EqualTo("from python"));
            Assert.That(delivered.Timestamp, Is.EqualTo(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero)));
            Assert.That(delivered.OriginId, Is.EqualTo(RedisMirrorOptions.ExternalOriginId));
            Assert.That(a.Mirror.GetMetrics().MirroredOut, Is.Zero, "a foreign event is not sent back out");
            Assert.That(b.Mirror.GetMetrics().MirroredOut, Is.Zero, "a foreign event is not sent back out");
        });
    }

    [Test]
    public async Task Receive_OwnOriginIdWrittenByAnotherClientAfterData_IsStillSuppressed()
    {
        var channel = Unique();
        await using var a = await MirroredInstance.StartAsync(_server.Configuration, o => o.Channel = channel, "instance-echo");

        await _server.CliAsync("PUBLISH", channel, """{"event_type":"replayed","data":{"x":1},"origin_id":"instance-echo"}""");
        await _server.CliAsync("PUBLISH", channel, """{"event_type":"marker","event_id":"marker","data":{}}""");

        await Eventually.Until(() => a.Received.Any(e => e.EventId == "marker"), "the marker after the replayed event arrived");
        Assert.Multiple(() =>
        {
            Assert.That(a.Received.Any(e => e.EventType == "replayed"), Is.False);
            Assert.That(a.Mirror.GetMetrics().EchoesSuppressed, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Receive_MalformedJson_IsCountedLoggedAndSkippedAndTheSubscriptionLivesOn()
    {
        var channel = Unique();
        await using var a = await MirroredInstance.StartAsync(_server.Configuration, o => o.Channel = channel);
        string[] garbage =
        [
            "not json",
            "[1,2,3]",
            """{"event_type":"agent_message","data":{"agent_id":"x"}}""",
            """{"event_type":"system_status","data":{"health_status":"on fire"}}""",
            """{"event_type":"agent_message","timestamp":42,"data":{}}""",
        ];

        foreach (var message in garbage)
        {
            await _server.CliAsync("PUBLISH", channel, message);
        }

        await _server.CliAsync("PUBLISH", channel, """{"event_type":"session.connected","event_id":"after-garbage","data":{}}""");

        await Eventually.Until(() => a.Received.Any(e => e.EventId == "after-garbage"), "the valid message after the garbage was delivered");
        Assert.Multiple(() =>
        {
            Assert.That(a.Mirror.GetMetrics().MalformedInbound, Is.EqualTo(garbage.Length));
            Assert.That(a.Received, Has.Count.EqualTo(1));
            Assert.That(a.Logger.Entries.Count(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning && e.Message.Contains("malformed", StringComparison.Ordinal)), Is.GreaterThanOrEqualTo(1));
            Assert.That(a.Logger.Entries.Any(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error), Is.False, "a foreign client's mistake is not an error of ours");
        });
    }

    [Test]
    public async Task Receive_UnpairedSurrogateEscapes_AreCountedAndSkippedAndTheSubscriptionLivesOn()
    {
        var channel = Unique();
        await using var a = await MirroredInstance.StartAsync(_server.Configuration, o => o.Channel = channel);
        string[] garbage =
        [
            """{"\ud800":1,"event_type":"x","data":{}}""",
            """{"event_type":"x\udc00","data":{}}""",
            """{"event_type":"x","data":{"text":"\ud83d"}}""",
        ];

        foreach (var message in garbage)
        {
            await _server.CliAsync("PUBLISH", channel, message);
        }

        await _server.CliAsync("PUBLISH", channel, """{"event_type":"emoji","event_id":"paired","data":{"text":"\ud83d\ude00"}}""");

        await Eventually.Until(() => a.Received.Any(e => e.EventId == "paired"), "the valid message after the garbage was delivered");
        Assert.Multiple(() =>
        {
            Assert.That(a.Mirror.GetMetrics().MalformedInbound, Is.EqualTo(garbage.Length));
            Assert.That(a.Received, Has.Count.EqualTo(1));
            Assert.That(a.Logger.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error).Select(e => e.Message), Is.Empty, "rejected by the parser, not caught as a failure");
        });
    }

    [Test]
    public async Task Receive_MessageOverTheSizeLimit_IsCountedAndSkipped()
    {
        var channel = Unique();
        await using var a = await MirroredInstance.StartAsync(_server.Configuration, o => (o.Channel, o.MaxMessageBytes) = (channel, 256));
        var big = $$$"""{"event_type":"big","event_id":"too-big","data":{"text":"{{{new string('x', 300)}}}"}}""";

        await _server.CliAsync("PUBLISH", channel, big);
        await _server.CliAsync("PUBLISH", channel, """{"event_type":"small","event_id":"fits","data":{}}""");

        await Eventually.Until(() => a.Received.Any(e => e.EventId == "fits"), "the small message was delivered");
        Assert.Multiple(() =>
        {
            Assert.That(a.Received.Any(e => e.EventId == "too-big"), Is.False);
            Assert.That(a.Mirror.GetMetrics().MalformedInbound, Is.EqualTo(1));
            Assert.That(a.Logger.Entries.Any(e => e.Message.Contains("over the limit of 256", StringComparison.Ordinal)), Is.True);
        });
    }

    [Test]
    public async Task Publish_WithSessionChannels_SessionEventGoesToItsOwnChannelAndReachesTheOtherInstance()
    {
        var channel = Unique();
        await using var a = await MirroredInstance.StartAsync(_server.Configuration, o => (o.Channel, o.UseSessionChannels) = (channel, true));
        await using var b = await MirroredInstance.StartAsync(_server.Configuration, o => (o.Channel, o.UseSessionChannels) = (channel, true));
        using var observer = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(_server.Configuration);
        var onSessionChannel = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await observer.GetSubscriber().SubscribeAsync(StackExchange.Redis.RedisChannel.Literal(channel + ":session:abc"), (_, value) => onSessionChannel.TrySetResult(value!));
        await Eventually.Until(() => observer.GetSubscriber().SubscribedEndpoint(StackExchange.Redis.RedisChannel.Literal(channel + ":session:abc")) is not null, "the observer's subscription reached the server");

        var evt = CustomEvent.Create("session.connected", new { user = "u1" }) with { SessionId = "abc" };
        a.Manager.Publish(evt);
        var global = a.Manager.BroadcastAgentMessage("agent-1", "analyst", "global");

        var seen = await Eventually.Within(onSessionChannel.Task, "the event on the session channel");
        Assert.That(WebSocketEvent.Parse(seen).EventId, Is.EqualTo(evt.EventId));
        await Eventually.Until(() => b.ReceivedFrom(a).Count() == 2, "the other instance received both events");
        Assert.That(b.ReceivedFrom(a).Select(e => e.EventId), Is.EqualTo(new[] { evt.EventId, global.EventId }));
        Assert.That(b.ReceivedFrom(a).First().SessionId, Is.EqualTo("abc"));
    }

    [Test]
    public async Task Meter_ReportsTheSameFiguresAsGetMetrics()
    {
        await using var a = await MirroredInstance.StartAsync(_server.Configuration, o => o.Channel = Unique());
        a.Manager.BroadcastAgentMessage("agent-1", "analyst", "measured");
        await Eventually.Until(() => a.Mirror.GetMetrics().EchoesSuppressed == 1, "the event went out and came back");
        var measured = new Dictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "EventManager.Redis" && instrument.Meter.Tags!.Any(t => Equals(t.Value, a.Mirror.InstanceId)))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => measured[instrument.Name] = value);
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => measured[instrument.Name] = value);
        listener.Start();

        listener.RecordObservableInstruments();

        Assert.Multiple(() =>
        {
            Assert.That(measured["eventmanager.redis.mirrored_out"], Is.EqualTo(1));
            Assert.That(measured["eventmanager.redis.echoes_suppressed"], Is.EqualTo(1));
            Assert.That(measured["eventmanager.redis.outbound.depth"], Is.Zero);
            Assert.That(measured["eventmanager.redis.health"], Is.EqualTo((int)RedisMirrorHealth.Connected));
            Assert.That(measured, Has.Count.EqualTo(11));
        });
    }

    private static void AssertSameEvents(List<WebSocketEvent> received, WebSocketEvent[] published)
    {
        Assert.That(received, Has.Count.EqualTo(published.Length));
        for (var i = 0; i < published.Length; i++)
        {
            Assert.Multiple(() =>
            {
                Assert.That(received[i].GetType(), Is.EqualTo(published[i].GetType()));
                Assert.That(received[i].EventId, Is.EqualTo(published[i].EventId));
                Assert.That(received[i].Timestamp, Is.EqualTo(published[i].Timestamp));
                Assert.That(received[i].OriginId, Is.EqualTo(published[i].OriginId));

                // The receiving manager gives the event its own position in its stream; everything else is the publisher's.
                Assert.That(received[i] with { EventId = published[i].EventId }, Is.EqualTo(published[i] with { EventId = published[i].EventId }).Using<WebSocketEvent>(SameContent));
            });
        }
    }

    private static bool SameContent(WebSocketEvent x, WebSocketEvent y) =>
        System.Text.Json.Nodes.JsonNode.DeepEquals(Content(x), Content(y));

    private static System.Text.Json.Nodes.JsonObject Content(WebSocketEvent e)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(e.ToJson())!.AsObject();
        node.Remove("sequence");
        return node;
    }

    private static string Unique() => "test:" + Guid.NewGuid().ToString("N");
}
