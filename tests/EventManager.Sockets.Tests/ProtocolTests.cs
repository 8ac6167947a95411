using System.Text.Json;

namespace EventManager.Sockets.Tests;

/// <remarks>
/// Run twice: over a plain WebSocket handed to the public <c>ConnectClientAsync</c>, and with frames written to the connection
/// directly, as for a socket <c>MapEventWebSocket</c> accepted (<c>framed</c>).
/// </remarks>
[TestFixture(false)]
[TestFixture(true)]
public sealed class ProtocolTests(bool framed)
{
    private SocketHost _server = null!;

    [OneTimeSetUp]
    public void Start() => _server = SocketHost.Start(framed: framed);

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    [Test]
    public async Task Connect_FirstFrame_IsConnectedWithConnectionIdAndServerTime()
    {
        await using var client = await _server.ConnectAsync();

        var connected = await client.NextAsync();

        Assert.Multiple(() =>
        {
            Assert.That(connected.GetProperty("type").GetString(), Is.EqualTo("connected"));
            var payload = connected.GetProperty("payload");
            Assert.That(payload.GetProperty("connection_id").GetString(), Has.Length.EqualTo(32));
            Assert.That(payload.GetProperty("server_time").GetDateTimeOffset(), Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(1)));
            Assert.That(payload.GetProperty("heartbeat_interval_ms").GetInt64(), Is.EqualTo(30_000));
            Assert.That(payload.GetProperty("batch_size").GetInt32(), Is.EqualTo(50));
            Assert.That(payload.GetProperty("batch_window_ms").GetInt32(), Is.EqualTo(50));
        });
        Assert.That(_server.Broadcaster.GetClientIds(), Does.Contain(connected.GetProperty("payload").GetProperty("connection_id").GetString()));
    }

    [Test]
    public async Task Ping_IsAnsweredWithPong()
    {
        await using var client = await ConnectedAsync();

        await client.SendAsync(new { type = "ping" });

        var pong = await client.NextAsync("pong");
        Assert.That(pong.GetProperty("payload").TryGetProperty("server_time", out _), Is.True);
    }

    [Test]
    public async Task Event_WithoutBatching_ArrivesAsAnEventFrameWithTheEventsFields()
    {
        await using var client = await ConnectedAsync(new() { BatchWindow = TimeSpan.Zero });

        var published = _server.Manager.BroadcastAgentMessage("agent-1", "psychologist", "hello");

        var frame = await client.NextAsync("event");
        Assert.Multiple(() =>
        {
            Assert.That(frame.GetProperty("event_type").GetString(), Is.EqualTo("agent_message"));
            Assert.That(frame.GetProperty("event_id").GetString(), Is.EqualTo(published.EventId));
            Assert.That(frame.GetProperty("data").GetProperty("message").GetString(), Is.EqualTo("hello"));
            Assert.That(frame.GetProperty("sequence").GetInt64(), Is.EqualTo(published.Sequence));
        });
    }

    [Test]
    public async Task Events_ABurstWithDefaultBatching_ArriveInFramesOfAtMostTheBatchSizeThatGrowUnderLoad()
    {
        await using var client = await ConnectedAsync();
        const int Burst = 20_000;

        for (var i = 0; i < Burst; i++)
        {
            _server.Manager.Publish(new CustomEvent("batch.test"));
        }

        var sizes = new List<int>();
        while (sizes.Sum() < Burst)
        {
            var batch = await client.NextAsync("batch");
            Assert.That(batch.GetProperty("count").GetInt32(), Is.EqualTo(batch.GetProperty("events").GetArrayLength()));
            sizes.Add(batch.GetProperty("count").GetInt32());
        }

        Assert.That(sizes, Has.All.LessThanOrEqualTo(WebSocketBroadcasterOptions.DefaultBatchSize));
        Assert.That(sizes.Sum(), Is.EqualTo(Burst));
        Assert.That(sizes.Count, Is.LessThan(Burst / 5), "frames carried what queued while the previous one was sent");
    }

    [Test]
    public async Task Events_WithTheSocketFree_GoOutWithoutWaitingForTheWindow()
    {
        // A clock that never moves: an event that waited for its batch window would never be sent.
        var time = new ManualTimeProvider();
        await using var server = SocketHost.Start(framed: framed, time: time);
        await using var client = await server.ConnectAsync(new() { BatchSize = 50, BatchWindow = TimeSpan.FromMinutes(1) });
        await client.NextAsync("connected");

        var published = Enumerable.Range(0, 3).Select(_ => new CustomEvent("window.test")).ToList();
        published.ForEach(server.Manager.Publish);

        var received = await client.EventsAsync(3);
        Assert.That(received.Select(e => e.GetProperty("event_id").GetString()), Is.EqualTo(published.Select(e => e.EventId)));
    }

    [Test]
    public async Task Subscribe_ReplacesTheEventTypesAndIsConfirmed()
    {
        await using var client = await ConnectedAsync(new() { BatchWindow = TimeSpan.Zero });

        await client.SendAsync(new { type = "subscribe", payload = new { event_types = new[] { "voice.*" } } });
        var subscribed = await client.NextAsync("subscribed");
        _server.Manager.Publish(new CustomEvent("chat.message"));
        _server.Manager.Publish(new CustomEvent("voice.started"));

        Assert.That(subscribed.GetProperty("payload").GetProperty("event_types").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "voice.*" }));
        var received = await client.NextAsync("event");
        Assert.That(received.GetProperty("event_type").GetString(), Is.EqualTo("voice.started"));
    }

    [Test]
    public async Task Unsubscribe_RemovesTheNamedTypes()
    {
        await using var client = await ConnectedAsync(new() { BatchWindow = TimeSpan.Zero });
        await client.SendAsync(new { type = "subscribe", payload = new { event_types = new[] { "a", "b" } } });
        await client.NextAsync("subscribed");

        await client.SendAsync(new { type = "unsubscribe", payload = new { event_types = new[] { "a" } } });
        var subscribed = await client.NextAsync("subscribed");
        _server.Manager.Publish(new CustomEvent("a"));
        _server.Manager.Publish(new CustomEvent("b"));

        Assert.That(subscribed.GetProperty("payload").GetProperty("event_types").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "b" }));
        Assert.That((await client.NextAsync("event")).GetProperty("event_type").GetString(), Is.EqualTo("b"));
    }

    [Test]
    public async Task Filter_ConditionsOnDataFields_SelectTheMatchingEvents()
    {
        var filter = JsonSerializer.Serialize(new { event_types = new[] { "tool_call" }, tool_names = new[] { "Edit" }, statuses = new[] { "completed" }, cost_threshold_tokens = 100, feature_ids = new[] { "feat-1" } });
        await using var client = await ConnectedAsync(new() { Filter = EventFilter.Parse(filter) });

        Publish("tool_call", new { tool_name = "Read", status = "completed", cost_tokens = 500, feature_id = "feat-1" });
        Publish("tool_call", new { tool_name = "Edit", status = "error", cost_tokens = 500, feature_id = "feat-1" });
        Publish("tool_call", new { tool_name = "Edit", status = "completed", cost_tokens = 50, feature_id = "feat-1" });
        Publish("tool_call", new { tool_name = "Edit", status = "completed", cost_tokens = 500, feature_id = "feat-2" });
        Publish("completion", new { tool_name = "Edit", status = "completed", cost_tokens = 500, feature_id = "feat-1" });
        var match = Publish("tool_call", new { tool_name = "Edit", status = "completed", cost_tokens = 125, feature_id = "feat-1" });

        var received = await FirstEventAsync(client);
        Assert.That(received.GetProperty("event_id").GetString(), Is.EqualTo(match.EventId));
    }

    [Test]
    public async Task Session_DeliversOnlyThatSessionsEvents()
    {
        await using var client = await ConnectedAsync(new() { SessionId = "session-a", Filter = EventFilter.All.ForSession("session-a") });

        _server.Manager.Publish(new CustomEvent("note") with { SessionId = "session-b" });
        _server.Manager.Publish(new CustomEvent("note"));
        var mine = new CustomEvent("note") with { SessionId = "session-a" };
        _server.Manager.Publish(mine);

        Assert.That((await FirstEventAsync(client)).GetProperty("event_id").GetString(), Is.EqualTo(mine.EventId));
        Assert.That(_server.Broadcaster.GetMetrics().Sessions, Does.ContainKey("session-a"));
    }

    [Test]
    public async Task TargetedEvent_ReachesOnlyTheConnectionsOfThatUser()
    {
        await using var alice = await ConnectedAsync(new() { UserId = "alice" });
        await using var bob = await ConnectedAsync(new() { UserId = "bob" });
        await using var anonymous = await ConnectedAsync(new());

        _server.Manager.Publish(new CustomEvent("dm") with { TargetUserId = "alice" });
        var everyone = new CustomEvent("broadcast");
        _server.Manager.Publish(everyone);

        Assert.That((await FirstEventAsync(alice)).GetProperty("event_type").GetString(), Is.EqualTo("dm"));
        Assert.That((await FirstEventAsync(bob)).GetProperty("event_id").GetString(), Is.EqualTo(everyone.EventId));
        Assert.That((await FirstEventAsync(anonymous)).GetProperty("event_id").GetString(), Is.EqualTo(everyone.EventId));
    }

    [Test]
    public async Task DisconnectClientAsync_ClosesTheClientNormally()
    {
        await using var client = await _server.ConnectAsync();
        var id = (await client.NextAsync("connected")).GetProperty("payload").GetProperty("connection_id").GetString()!;

        var found = await _server.Broadcaster.DisconnectClientAsync(id);

        Assert.That(found, Is.True);
        Assert.That(await client.ClosedAsync(), Is.EqualTo(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure));
        Assert.That(await _server.Broadcaster.DisconnectClientAsync(id), Is.False);
    }

    private CustomEvent Publish(string type, object data)
    {
        var evt = CustomEvent.Create(type, data);
        _server.Manager.Publish(evt);
        return evt;
    }

    private async Task<WsClient> ConnectedAsync(ClientConnectionOptions? options = null)
    {
        var client = await _server.ConnectAsync(options);
        await client.NextAsync("connected");
        return client;
    }

    // Default options batch events, so the first event may arrive in a batch frame with later ones.
    private static async Task<JsonElement> FirstEventAsync(WsClient client) => (await client.EventsAsync(1))[0];
}
