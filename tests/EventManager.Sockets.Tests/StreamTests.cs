using System.Net;
using System.Text.Json;

namespace EventManager.Sockets.Tests;

[TestFixture]
public sealed class StreamTests
{
    private SocketHost _server = null!;

    [OneTimeSetUp]
    public void Start() => _server = SocketHost.Start();

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    [Test]
    public async Task Stream_StartsWithSessionStreamStarted()
    {
        await using var client = await _server.StreamAsync(new() { SessionId = "s-9", Filter = EventFilter.All.ForSession("s-9") });

        var first = await client.NextAsync();

        Assert.That(first.Event, Is.EqualTo("session_stream_started"));
        var data = JsonDocument.Parse(first.Data).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(data.GetProperty("type").GetString(), Is.EqualTo("session_stream_started"));
            Assert.That(data.GetProperty("session_id").GetString(), Is.EqualTo("s-9"));
            Assert.That(data.GetProperty("payload").GetProperty("message").GetString(), Is.EqualTo("SSE connection established"));
        });
    }

    [Test]
    public async Task Stream_EachEvent_HasItsTypeIdAndJson()
    {
        await using var client = await _server.StreamAsync();
        await client.NextAsync();

        var published = _server.Manager.BroadcastAgentMessage("agent-7", "sociologist", "over SSE");

        var message = await client.NextAsync();
        Assert.Multiple(() =>
        {
            Assert.That(message.Event, Is.EqualTo("agent_message"));
            Assert.That(message.Id, Is.EqualTo(published.EventId));
            Assert.That(WebSocketEvent.Parse(message.Data), Is.EqualTo(published));
        });
    }

    [Test]
    public async Task Stream_Filter_SelectsEvents()
    {
        await using var client = await _server.StreamAsync(new() { Filter = EventFilter.Parse("""{"event_types":["keep.*"]}""") });
        await client.NextAsync();

        _server.Manager.Publish(new CustomEvent("drop.me"));
        _server.Manager.Publish(new CustomEvent("keep.me"));

        Assert.That((await client.NextAsync()).Event, Is.EqualTo("keep.me"));
    }

    [Test]
    public async Task Stream_ClientLeaves_IsUnregistered()
    {
        var client = await _server.StreamAsync(new() { SessionId = "leaving", Filter = EventFilter.All.ForSession("leaving") });
        await client.NextAsync();
        Assert.That(_server.Broadcaster.GetMetrics().Sessions, Does.ContainKey("leaving"));

        await client.DisposeAsync();

        await Eventually.Until(() => !_server.Broadcaster.GetMetrics().Sessions.ContainsKey("leaving"), "the stream's client was removed");
    }
}
