using System.Text.Json;
using EventManager.AspNetCore.Tests.Support;

namespace EventManager.AspNetCore.Tests;

[TestFixture]
public sealed class EndpointProtocolTests
{
    private EventServer _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await EventServer.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    [Test]
    public async Task Connect_FirstFrame_IsConnectedWithConnectionIdAndServerTime()
    {
        await using var client = await WsClient.ConnectAsync(_server.WsUri("/ws/events"));

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
    public async Task FilterQuery_ConditionsOnDataFields_SelectTheMatchingEvents()
    {
        var filter = JsonSerializer.Serialize(new { event_types = new[] { "tool_call" }, tool_names = new[] { "Edit" }, statuses = new[] { "completed" }, cost_threshold_tokens = 100, feature_ids = new[] { "feat-1" } });
        await using var client = await ConnectedAsync("/ws/events?batch_window_ms=0&filter=" + Uri.EscapeDataString(filter));

        Publish("tool_call", new { tool_name = "Read", status = "completed", cost_tokens = 500, feature_id = "feat-1" });
        Publish("tool_call", new { tool_name = "Edit", status = "error", cost_tokens = 500, feature_id = "feat-1" });
        Publish("tool_call", new { tool_name = "Edit", status = "completed", cost_tokens = 50, feature_id = "feat-1" });
        Publish("tool_call", new { tool_name = "Edit", status = "completed", cost_tokens = 500, feature_id = "feat-2" });
        Publish("completion", new { tool_name = "Edit", status = "completed", cost_tokens = 500, feature_id = "feat-1" });
        var match = Publish("tool_call", new { tool_name = "Edit", status = "completed", cost_tokens = 125, feature_id = "feat-1" });

        var received = await client.NextAsync("event");
        Assert.That(received.GetProperty("event_id").GetString(), Is.EqualTo(match.EventId));
    }

    [Test]
    public async Task SessionRoute_DeliversOnlyThatSessionsEvents()
    {
        await using var client = await ConnectedAsync("/ws/events/session-a?batch_window_ms=0");

        _server.Manager.Publish(new CustomEvent("note") with { SessionId = "session-b" });
        _server.Manager.Publish(new CustomEvent("note"));
        var mine = new CustomEvent("note") with { SessionId = "session-a" };
        _server.Manager.Publish(mine);

        Assert.That((await client.NextAsync("event")).GetProperty("event_id").GetString(), Is.EqualTo(mine.EventId));
        Assert.That(_server.Broadcaster.GetMetrics().Sessions, Does.ContainKey("session-a"));
    }

    [Test]
    public async Task TargetedEvent_ReachesOnlyTheConnectionsOfThatUser()
    {
        await using var alice = await ConnectedAsync("/ws/events?batch_window_ms=0", "Test alice");
        await using var bob = await ConnectedAsync("/ws/events?batch_window_ms=0", "Test bob");
        await using var anonymous = await ConnectedAsync("/ws/events?batch_window_ms=0");

        _server.Manager.Publish(new CustomEvent("dm") with { TargetUserId = "alice" });
        var everyone = new CustomEvent("broadcast");
        _server.Manager.Publish(everyone);

        Assert.That((await alice.NextAsync("event")).GetProperty("event_type").GetString(), Is.EqualTo("dm"));
        Assert.That((await bob.NextAsync("event")).GetProperty("event_id").GetString(), Is.EqualTo(everyone.EventId));
        Assert.That((await anonymous.NextAsync("event")).GetProperty("event_id").GetString(), Is.EqualTo(everyone.EventId));
    }

    [Test]
    public async Task ClientScript_IsServedAsJavaScript()
    {
        using var http = new HttpClient();

        using var response = await http.GetAsync(_server.HttpUri("/eventmanager.js"));

        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/javascript"));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("EventManagerClient"));
    }

    private CustomEvent Publish(string type, object data)
    {
        var evt = CustomEvent.Create(type, data);
        _server.Manager.Publish(evt);
        return evt;
    }

    private async Task<WsClient> ConnectedAsync(string path, string? authorization = null)
    {
        var client = await WsClient.ConnectAsync(_server.WsUri(path), authorization);
        await client.NextAsync("connected");
        return client;
    }
}
