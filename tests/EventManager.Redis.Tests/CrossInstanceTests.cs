using EventManager.Redis.Tests.Support;

namespace EventManager.Redis.Tests;

[TestFixture]
[CancelAfter(120_000)]
public sealed class CrossInstanceTests
{
    private RedisServer _server = null!;

    [OneTimeSetUp]
    public async Task StartServer() => _server = await RedisServer.StartAsync();

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
