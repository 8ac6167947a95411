using System.Net;
using EventManager.AspNetCore.Tests.Support;

namespace EventManager.AspNetCore.Tests;

[TestFixture]
public sealed class SecurityAndLimitTests
{
    [Test]
    public async Task Upgrade_FromAnOriginNotAllowed_Gets403()
    {
        await using var server = await EventServer.StartAsync(o => o.AllowedOrigins.Add("https://dashboard.example.com"));

        var status = await WsClient.RefusedAsync(server.WsUri("/ws/events"), origin: "https://evil.example.net");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Upgrade_FromAnAllowedOrigin_Connects()
    {
        await using var server = await EventServer.StartAsync(o => o.AllowedOrigins.Add("https://dashboard.example.com"));

        await using var client = await WsClient.ConnectAsync(server.WsUri("/ws/events"), origin: "https://dashboard.example.com");

        await client.NextAsync("connected");
    }

    [Test]
    public async Task SecuredEndpoint_WithoutCredentials_Gets401()
    {
        await using var server = await EventServer.StartAsync();

        Assert.That(await WsClient.RefusedAsync(server.WsUri("/secure/ws")), Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task SecuredEndpoint_WithTheWrongRole_Gets403()
    {
        await using var server = await EventServer.StartAsync();

        Assert.That(await WsClient.RefusedAsync(server.WsUri("/secure/ws"), "Test mallory:viewer"), Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task SecuredEndpoint_WithTheRightRole_Connects()
    {
        await using var server = await EventServer.StartAsync();

        await using var client = await WsClient.ConnectAsync(server.WsUri("/secure/ws"), "Test alice:admin");

        await client.NextAsync("connected");
    }

    [Test]
    public async Task AuthorizeEvent_UsesTheConnectionsClaims()
    {
        await using var server = await EventServer.StartAsync(o => o.Broadcaster.AuthorizeEvent = (evt, user) => !evt.EventType.StartsWith("audit.", StringComparison.Ordinal) || user?.IsInRole("auditor") == true);
        await using var auditor = await WsClient.ConnectAsync(server.WsUri("/ws/events?batch_window_ms=0"), "Test ann:auditor");
        await using var viewer = await WsClient.ConnectAsync(server.WsUri("/ws/events?batch_window_ms=0"), "Test vic:viewer");
        await auditor.NextAsync("connected");
        await viewer.NextAsync("connected");

        server.Manager.Publish(new CustomEvent("audit.login"));
        var open = new CustomEvent("public.note");
        server.Manager.Publish(open);

        Assert.That((await auditor.NextAsync("event")).GetProperty("event_type").GetString(), Is.EqualTo("audit.login"));
        Assert.That((await viewer.NextAsync("event")).GetProperty("event_id").GetString(), Is.EqualTo(open.EventId));
    }

    [Test]
    public async Task Clients_OverTheTotalLimit_Get503ForWebSocketAndStream()
    {
        await using var server = await EventServer.StartAsync(o => o.Broadcaster.MaxClients = 2);
        await using var first = await WsClient.ConnectAsync(server.WsUri("/ws/events"));
        await using var second = await SseClient.ConnectAsync(server.HttpUri("/events"));
        await first.NextAsync("connected");
        await second.NextAsync();

        Assert.That(await WsClient.RefusedAsync(server.WsUri("/ws/events")), Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        await using var third = await SseClient.ConnectAsync(server.HttpUri("/events"));
        Assert.That(third.Response!.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(server.Broadcaster.GetMetrics().ConnectedClients, Is.EqualTo(2));
        Assert.That(server.Broadcaster.GetMetrics().ClientsRefused, Is.EqualTo(2), "each 503 counts as a refusal");
        Assert.That(server.Logs.Count(l => l.Message.StartsWith("Refused a socket client", StringComparison.Ordinal)), Is.EqualTo(2), "and is logged");
    }

    [Test]
    public async Task Clients_OverTheSessionLimit_Get503WhileOtherSessionsConnect()
    {
        await using var server = await EventServer.StartAsync(o => o.Broadcaster.MaxClientsPerSession = 1);
        await using var first = await WsClient.ConnectAsync(server.WsUri("/ws/events/s1"));
        await first.NextAsync("connected");

        Assert.That(await WsClient.RefusedAsync(server.WsUri("/ws/events/s1")), Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        await using var other = await WsClient.ConnectAsync(server.WsUri("/ws/events/s2"));
        await other.NextAsync("connected");
    }

    [Test]
    public async Task Compression_WhenEnabled_IsNegotiatedAndFramesStillArrive()
    {
        await using var server = await EventServer.StartAsync(o => o.EnableCompression = true);
        await using var client = await WsClient.ConnectAsync(
            server.WsUri("/ws/events?batch_window_ms=0"),
            configure: o =>
            {
                o.DangerousDeflateOptions = new System.Net.WebSockets.WebSocketDeflateOptions();
                o.CollectHttpResponseDetails = true;
            });
        await client.NextAsync("connected");

        server.Manager.BroadcastAgentMessage("agent", "kind", new string('z', 2000));

        Assert.That(((System.Net.WebSockets.ClientWebSocket)client.Socket).HttpResponseHeaders!["Sec-WebSocket-Extensions"].Single(), Does.Contain("permessage-deflate"));
        Assert.That((await client.NextAsync("event")).GetProperty("data").GetProperty("message").GetString(), Has.Length.EqualTo(2000));
    }
}
