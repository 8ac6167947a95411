using System.Net;
using System.Net.Sockets;
using EventManager.AspNetCore.Tests.Support;

namespace EventManager.AspNetCore.Tests;

/// <summary>Clients written by someone else (Node's ws and eventsource packages), and eventmanager.js itself under Node.</summary>
[TestFixture]
public sealed class NodeClientTests
{
    [Test]
    public async Task WsPackageClient_ReceivesTheProtocol()
    {
        await using var server = await EventServer.StartAsync();
        await using var node = NodeProcess.Start("ws-client.js", server.WsUri("/ws/events?batch_size=2&batch_window_ms=200").ToString(), "3");
        await node.WaitForLineAsync(l => l == "frame connected", "with the connected frame");

        var published = Enumerable.Range(0, 3).Select(_ => new CustomEvent("from.dotnet")).ToList();
        published.ForEach(server.Manager.Publish);

        Assert.That(await node.ExitCodeAsync(), Is.Zero, string.Join('\n', node.Output));
        Assert.That(node.Output.Where(l => l.StartsWith("event ", StringComparison.Ordinal)), Is.EqualTo(published.Select(e => $"event from.dotnet {e.EventId}")));
        Assert.That(node.Output, Does.Contain("frame batch"));
    }

    [Test]
    public async Task EventSourcePackageClient_ReadsTheStream()
    {
        await using var server = await EventServer.StartAsync();
        await using var node = NodeProcess.Start("sse-client.js", server.HttpUri("/events").ToString(), "2", "agent_message,system.alert");
        await node.WaitForLineAsync(l => l.StartsWith("session_stream_started", StringComparison.Ordinal), "with session_stream_started");

        var first = server.Manager.BroadcastAgentMessage("agent-1", "kind", "hello node");
        var second = new CustomEvent("system.alert");
        server.Manager.Publish(second);

        Assert.That(await node.ExitCodeAsync(), Is.Zero, string.Join('\n', node.Output));
        Assert.That(node.Output, Does.Contain($"agent_message {first.EventId}").And.Contain($"system.alert {second.EventId}"));
    }

    [Test]
    public async Task EventManagerJs_ReconnectsAfterAServerRestartAndKeepsItsSubscription()
    {
        var port = FreePort();
        var server = await EventServer.StartAsync(port: port);
        await using var node = NodeProcess.Start("eventmanager-client.js", server.Http.ToString(), server.WsUri("/ws/events").ToString());
        await node.WaitForLineAsync(l => l == "status connected", "with the first connection");
        var before = new CustomEvent("test.before");
        server.Manager.Publish(new CustomEvent("other.ignored"));
        server.Manager.Publish(before);
        await node.WaitForLineAsync(l => l == $"event test.before {before.EventId}", "with the event before the restart");

        await server.DisposeAsync();
        await node.WaitForLineAsync(l => l == "status reconnecting", "after the server stopped");
        server = await EventServer.StartAsync(port: port);
        try
        {
            await node.WaitForLineAsync(l => l == "status connected", "after the restart");
            var after = new CustomEvent("test.after");
            server.Manager.Publish(new CustomEvent("other.ignored"));
            server.Manager.Publish(after);
            server.Manager.Publish(new CustomEvent("test.done"));

            Assert.That(await node.ExitCodeAsync(), Is.Zero, string.Join('\n', node.Output));
            Assert.That(node.Output, Does.Contain($"event test.after {after.EventId}"));
            Assert.That(node.Output.Any(l => l.Contains("other.ignored", StringComparison.Ordinal)), Is.False, "the subscription survived the reconnect");
            Assert.That(node.Output.Where(l => l.StartsWith("status ", StringComparison.Ordinal)).Distinct(), Is.EqualTo(new[] { "status connecting", "status connected", "status reconnecting", "status disconnected" }));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
