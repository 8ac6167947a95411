using System.Diagnostics;
using EventManager.Sockets;
using EventManager.Tests.Support;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace EventManager.Sockets.Tests;

/// <summary>The <c>EventManager.Sockets</c> activity source, and the trace context a client receives; default options.</summary>
[TestFixture]
[NonParallelizable]
public sealed class TracingTests
{
    private static readonly ActivitySource Request = new("EventManager.Sockets.Tests.Request");

    [Test]
    public async Task Send_WithATracingListener_ClientGetsTheTraceparentAndTheFrameIsLinkedToThePublish()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(WebSocketEventManager.ActivitySourceName, WebSocketBroadcaster.ActivitySourceName, Request.Name)
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(spans)
            .Build();
        await using var server = SocketHost.Start();

        // As under ASP.NET Core, the client is connected inside a request's activity that lasts as long as the connection.
        WsClient client;
        ActivityTraceId requestTrace;
        using (var request = Request.StartActivity("GET /ws/events"))
        {
            requestTrace = request!.TraceId;
            client = await server.ConnectAsync();
        }

        await using var _ = client;
        await client.NextAsync("connected");

        var evt = new CustomEvent("traced");
        server.Manager.Publish(evt);
        var received = (await client.EventsAsync(1))[0];
        await Eventually.Until(() => Snapshot(spans).Any(s => s.Source.Name == WebSocketBroadcaster.ActivitySourceName), "the frame's span ends");
        var publish = Snapshot(spans).Single(s => s.DisplayName == "publish traced");
        var frame = Snapshot(spans).Single(s => s.Source.Name == WebSocketBroadcaster.ActivitySourceName);

        Assert.Multiple(() =>
        {
            Assert.That(received.GetProperty("traceparent").GetString(), Is.EqualTo(publish.Id));
            Assert.That(frame.DisplayName, Is.EqualTo("send global"));
            Assert.That(frame.Kind, Is.EqualTo(ActivityKind.Producer));
            Assert.That(frame.Links.Select(l => l.Context.SpanId), Is.EqualTo(new[] { publish.SpanId }));
            Assert.That(frame.GetTagItem("messaging.batch.message_count"), Is.EqualTo(1));
            Assert.That(frame.GetTagItem("messaging.client.id"), Is.Not.Null);
            Assert.That(frame.ParentSpanId, Is.EqualTo(default(ActivitySpanId)), "each frame is a root span, not a child of the request");
            Assert.That(frame.TraceId, Is.Not.EqualTo(requestTrace));
        });
    }

    [Test]
    public async Task Send_WithoutATracingListener_ClientGetsNoTraceFields()
    {
        await using var server = SocketHost.Start();
        await using var client = await server.ConnectAsync();
        await client.NextAsync("connected");

        server.Manager.Publish(new CustomEvent("quiet"));
        var received = (await client.EventsAsync(1))[0];

        Assert.That(received.TryGetProperty("traceparent", out _), Is.False);
    }

    private static Activity[] Snapshot(List<Activity> spans)
    {
        lock (spans)
        {
            return [.. spans];
        }
    }
}
