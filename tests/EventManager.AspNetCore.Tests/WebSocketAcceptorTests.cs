using System.Net.WebSockets;
using EventManager.AspNetCore.Tests.Support;

namespace EventManager.AspNetCore.Tests;

/// <summary>The endpoint's own answer to an upgrade, which lets the client's frames be written to the connection directly.</summary>
[TestFixture]
public sealed class WebSocketAcceptorTests
{
    [Test]
    public void AcceptKey_TheExampleOfRfc6455_IsTheRfcsAnswer()
    {
        Assert.That(WebSocketAcceptor.AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), Is.EqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    }

    [Test]
    public async Task Upgrade_OfferingCompressionWhenItIsOff_ConnectsWithoutItAndEventsArrive()
    {
        await using var server = await EventServer.StartAsync();
        await using var client = await WsClient.ConnectAsync(
            server.WsUri("/ws/events?batch_window_ms=0"),
            configure: o =>
            {
                o.DangerousDeflateOptions = new WebSocketDeflateOptions();
                o.CollectHttpResponseDetails = true;
            });
        await client.NextAsync("connected");

        server.Manager.BroadcastAgentMessage("agent", "kind", new string('z', 2000));

        Assert.Multiple(async () =>
        {
            Assert.That(((ClientWebSocket)client.Socket).HttpResponseHeaders!.ContainsKey("Sec-WebSocket-Extensions"), Is.False);
            Assert.That((await client.NextAsync("event")).GetProperty("data").GetProperty("message").GetString(), Has.Length.EqualTo(2000));
        });
    }

    [Test]
    public async Task Upgrade_EventsOfEveryFrameLengthClass_ArriveWhole()
    {
        await using var server = await EventServer.StartAsync();
        await using var client = await WsClient.ConnectAsync(server.WsUri("/ws/events?batch_window_ms=0"));
        await client.NextAsync("connected");
        int[] lengths = [10, 200, 70_000];

        foreach (var length in lengths)
        {
            server.Manager.BroadcastAgentMessage("agent", "kind", new string('y', length));
        }

        foreach (var length in lengths)
        {
            Assert.That((await client.NextAsync("event")).GetProperty("data").GetProperty("message").GetString(), Has.Length.EqualTo(length));
        }
    }

    [Test]
    public async Task Send_ToAClientThatStoppedReading_IsAbortedOnceItOutlastsTheSendTimeout()
    {
        // Kestrel's upgraded stream neither ends a pending write nor closes the connection when it is disposed: the connection
        // has to be aborted, as ASP.NET Core's own accept does.
        var time = new ManualTimeProvider();
        await using var server = await EventServer.StartAsync(o => o.Broadcaster.SendTimeout = TimeSpan.FromSeconds(5), time);
        await using var client = await WsClient.ConnectAsync(server.WsUri("/ws/events?batch_window_ms=0"), read: false);
        await Eventually.Until(() => server.Broadcaster.ClientCount == 1, "the client is registered");
        await StuckClient.PublishUntilCutOffAsync(server.Manager, server.Broadcaster, time, TimeSpan.FromSeconds(5));
        Assert.That(server.Logs.Any(l => l.Message.Contains("a send took longer than the send timeout", StringComparison.Ordinal)), Is.True);
    }
}
