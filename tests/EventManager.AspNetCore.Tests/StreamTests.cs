using System.Net;
using System.Text.Json;
using EventManager.AspNetCore.Tests.Support;

namespace EventManager.AspNetCore.Tests;

[TestFixture]
[CancelAfter(60_000)]
public sealed class StreamTests
{
    private EventServer _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await EventServer.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    [Test]
    public async Task Stream_StartsWithSessionStreamStartedAsEventStream()
    {
        await using var client = await SseClient.ConnectAsync(_server.HttpUri("/events/s-9"));

        var first = await client.NextAsync();

        Assert.That(client.Response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/event-stream"));
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
        await using var client = await SseClient.ConnectAsync(_server.HttpUri("/events"));
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
    public async Task Stream_FilterQuery_SelectsEvents()
    {
        var filter = Uri.EscapeDataString("""{"event_types":["keep.*"]}""");
        await using var client = await SseClient.ConnectAsync(_server.HttpUri("/events?filter=" + filter));
        await client.NextAsync();

        _server.Manager.Publish(new CustomEvent("drop.me"));
        _server.Manager.Publish(new CustomEvent("keep.me"));

        Assert.That((await client.NextAsync()).Event, Is.EqualTo("keep.me"));
    }

    [Test]
    public async Task Stream_ClientLeaves_IsUnregistered()
    {
        var client = await SseClient.ConnectAsync(_server.HttpUri("/events/leaving"));
        await client.NextAsync();
        Assert.That(_server.Broadcaster.GetMetrics().Sessions, Does.ContainKey("leaving"));

        await client.DisposeAsync();

        await Eventually.Until(() => !_server.Broadcaster.GetMetrics().Sessions.ContainsKey("leaving"), "the stream's client was removed");
    }

    [Test]
    public async Task Stream_MalformedFilter_Is400()
    {
        await using var client = await SseClient.ConnectAsync(_server.HttpUri("/events?filter=%5B"));

        Assert.That(client.Response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }
}
