using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using EventManager.AspNetCore.Tests.Support;
using EventManager.Sockets;
using Microsoft.Extensions.Logging;

namespace EventManager.AspNetCore.Tests;

[TestFixture]
[CancelAfter(60_000)]
public sealed class LifecycleTests
{
    [Test]
    public async Task HostStop_ClosesEveryClientWithGoingAwayAndNoErrors()
    {
        var server = await EventServer.StartAsync();
        await using var ws = await WsClient.ConnectAsync(server.WsUri("/ws/events"));
        await using var sse = await SseClient.ConnectAsync(server.HttpUri("/events"));
        await ws.NextAsync("connected");
        await sse.NextAsync();

        await Eventually.Within(server.StopAsync(), "the host to stop", TimeSpan.FromSeconds(30));

        Assert.That(await ws.ClosedAsync(), Is.EqualTo(WebSocketCloseStatus.EndpointUnavailable));
        Assert.That(server.Logs.Where(l => l.Level >= LogLevel.Error).Select(l => l.Message), Is.Empty);
        await server.DisposeAsync();
    }

    [Test]
    public async Task Broadcaster_OverAWebSocketWithoutAspNetCore_RunsTheProtocol()
    {
        await using var manager = new WebSocketEventManager();
        await using var broadcaster = new WebSocketBroadcaster(manager);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var clientTcp = new TcpClient();
        await clientTcp.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var serverTcp = await listener.AcceptTcpClientAsync();
        using var serverSocket = WebSocket.CreateFromStream(serverTcp.GetStream(), new WebSocketCreationOptions { IsServer = true });
        using var clientSocket = WebSocket.CreateFromStream(clientTcp.GetStream(), new WebSocketCreationOptions { IsServer = false });

        var running = broadcaster.ConnectClientAsync(serverSocket, new ClientConnectionOptions { BatchWindow = TimeSpan.Zero });
        var connected = await ReceiveAsync(clientSocket);
        manager.Publish(new CustomEvent("plain.socket"));
        var evt = await ReceiveAsync(clientSocket);
        await clientSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await Eventually.Within(running, "the client to leave");

        Assert.That(connected, Does.Contain("\"type\":\"connected\""));
        Assert.That(evt, Does.Contain("\"event_type\":\"plain.socket\""));
        Assert.That(broadcaster.ClientCount, Is.Zero);
    }

    [Test]
    public async Task Broadcaster_Disposed_ClosesClientsWithGoingAway()
    {
        await using var server = await EventServer.StartAsync();
        await using var client = await WsClient.ConnectAsync(server.WsUri("/ws/events"));
        await client.NextAsync("connected");

        await server.Broadcaster.DisposeAsync();

        Assert.That(await client.ClosedAsync(), Is.EqualTo(WebSocketCloseStatus.EndpointUnavailable));
        Assert.That(server.Broadcaster.ClientCount, Is.Zero);
    }

    private static async Task<string> ReceiveAsync(WebSocket socket)
    {
        var buffer = new byte[16 * 1024];
        var result = await socket.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        return System.Text.Encoding.UTF8.GetString(buffer, 0, result.Count);
    }
}
