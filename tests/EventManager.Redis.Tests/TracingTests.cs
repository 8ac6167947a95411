using System.Diagnostics;
using EventManager.Redis.Tests.Support;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace EventManager.Redis.Tests;

/// <summary>
/// Traces across a real redis-server: a handler on another instance runs in the publisher's trace, and the mirror's send and
/// receive spans join it. Default options but the channel.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class TracingTests
{
    private static readonly ActivitySource Caller = new("EventManager.Redis.Tests.Caller");

    [TearDown]
    public void ReportLogsIfFailed() => MirroredInstance.ReportIfFailed();

    [Test]
    public async Task Publish_OnOneInstance_HandlerOnTheOtherRunsInThePublishersTrace()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(WebSocketEventManager.ActivitySourceName, RedisEventMirror.ActivitySourceName, Caller.Name)
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(spans)
            .Build();
        await using var server = await RedisServer.StartAsync();
        var channel = "tracing:" + Guid.NewGuid().ToString("N");
        await using var a = await MirroredInstance.StartAsync(server.Configuration, o => o.Channel = channel);
        await using var b = await MirroredInstance.StartAsync(server.Configuration, o => o.Channel = channel);
        var handled = new TaskCompletionSource<ActivityTraceId>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.Manager.AddListener(e =>
        {
            if (e.EventType == "traced")
            {
                handled.TrySetResult(Activity.Current?.TraceId ?? default);
            }
        });

        var evt = new CustomEvent("traced");
        ActivityTraceId callerTrace;
        using (var caller = Caller.StartActivity("request"))
        {
            callerTrace = caller!.TraceId;
            a.Manager.Publish(evt);
        }

        var handlerTrace = await Eventually.Within(handled.Task, "the handler on the other instance runs");

        // The publisher's span is the one whose context the event carries: the other instance's publish of the same event has
        // the same name and id, and can end first when the publishing thread is held up between queueing the event and ending
        // its span. The sender's batch span ends once Redis has answered, which can be after the other instance ran its handler.
        Activity? publish = null;
        await Eventually.Until(
            () => Snapshot(spans) is var ended
                && (publish = ended.SingleOrDefault(s => s.Id == evt.TraceParent)) is not null
                && ended.Any(s => s.DisplayName == "receive " + channel)
                && ended.Any(s => s.DisplayName == "send " + channel && s.Links.Any(l => l.Context.SpanId == publish.SpanId)),
            "the publish span, the receive span and the batch span end");
        var all = Snapshot(spans);
        var published = publish!;
        var send = all.Single(s => s.DisplayName == "send " + channel && s.Links.Any(l => l.Context.SpanId == published.SpanId));
        var receive = all.Single(s => s.DisplayName == "receive " + channel && s.GetTagItem("messaging.message.id") as string == evt.EventId);

        Assert.Multiple(() =>
        {
            Assert.That(handlerTrace, Is.EqualTo(callerTrace), "the handler on the other instance is in the publisher's trace");
            Assert.That(send.Kind, Is.EqualTo(ActivityKind.Producer));
            Assert.That(send.GetTagItem("messaging.system"), Is.EqualTo("redis"));
            Assert.That(send.GetTagItem("messaging.batch.message_count"), Is.GreaterThanOrEqualTo(1));
            Assert.That(receive.Kind, Is.EqualTo(ActivityKind.Consumer));
            Assert.That(receive.TraceId, Is.EqualTo(callerTrace));
            Assert.That(receive.ParentSpanId, Is.EqualTo(published.SpanId), "received as a child of the sender's publish span");
            Assert.That(b.Received.Single(e => e.EventId == evt.EventId).TraceParent, Is.EqualTo(published.Id), "the context crossed in the event");
            Assert.That(send.ParentSpanId, Is.EqualTo(default(ActivitySpanId)), "a batch is a root span, linked to its events' publish spans");
        });
    }

    [Test]
    public async Task Receive_AForeignEventWithATraceparent_HandlerRunsInThatTrace()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(WebSocketEventManager.ActivitySourceName, RedisEventMirror.ActivitySourceName)
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(spans)
            .Build();
        await using var server = await RedisServer.StartAsync();
        var channel = "tracing:" + Guid.NewGuid().ToString("N");
        await using var b = await MirroredInstance.StartAsync(server.Configuration, o => o.Channel = channel);
        var handled = new TaskCompletionSource<ActivityTraceId>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.Manager.AddListener(e => handled.TrySetResult(Activity.Current?.TraceId ?? default));
        const string traceId = "0af7651916cd43dd8448eb211c80319c";

        // No origin_id: the mirror gives the event one in a copy, which must not lose its trace.
        await server.CliAsync("PUBLISH", channel, "{\"event_type\":\"foreign\",\"event_id\":\"f-1\",\"traceparent\":\"00-" + traceId + "-b7ad6b7169203331-01\",\"data\":{}}");

        var handlerTrace = await Eventually.Within(handled.Task, "the handler runs");
        await Eventually.Until(() => Snapshot(spans).Any(s => s.DisplayName == "receive " + channel), "the receive span ends");
        Assert.Multiple(() =>
        {
            Assert.That(handlerTrace.ToHexString(), Is.EqualTo(traceId));
            Assert.That(Snapshot(spans).Single(s => s.DisplayName == "receive " + channel).ParentSpanId.ToHexString(), Is.EqualTo("b7ad6b7169203331"));
        });
    }

    private static Activity[] Snapshot(List<Activity> spans)
    {
        lock (spans)
        {
            return [.. spans];
        }
    }
}
