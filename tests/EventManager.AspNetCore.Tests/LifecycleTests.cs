using System.Net.WebSockets;
using EventManager.AspNetCore.Tests.Support;
using Microsoft.Extensions.Logging;

namespace EventManager.AspNetCore.Tests;

[TestFixture]
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
}
