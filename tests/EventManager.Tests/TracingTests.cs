using System.Diagnostics;
using EventManager.Tests.Support;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace EventManager.Tests;

/// <summary>
/// The <c>EventManager</c> activity source, collected by OpenTelemetry's in-memory exporter: a handler runs in the
/// publisher's trace, and without a listener nothing is traced or written. Default manager options.
/// </summary>
[NonParallelizable]
public sealed class TracingTests
{
    private static readonly ActivitySource Caller = new("EventManager.Tests.Caller");

    [Test]
    public async Task Publish_WithATracingListener_HandlerRunsInThePublishersTrace()
    {
        var spans = new List<Activity>();
        using var tracing = Tracing(spans);
        await using var manager = new WebSocketEventManager();
        var handled = new TaskCompletionSource<(ActivityTraceId TraceId, ActivitySpanId ParentSpanId)>(TaskCreationOptions.RunContinuationsAsynchronously);
        manager.AddListener(_ => handled.TrySetResult((Activity.Current!.TraceId, Activity.Current.ParentSpanId)), new ListenerOptions { Name = "recorder" });

        var evt = new CustomEvent("order.placed");
        ActivityTraceId callerTrace;
        using (var caller = Caller.StartActivity("checkout"))
        {
            callerTrace = caller!.TraceId;
            manager.Publish(evt);
        }

        var (handlerTrace, handlerParent) = await Eventually.Within(handled.Task, "the handler runs");
        await Eventually.Until(() => Spans(spans).Any(s => s.DisplayName == "process order.placed"), "the handler's span ends");
        var publish = Spans(spans).Single(s => s.DisplayName == "publish order.placed");
        var process = Spans(spans).Single(s => s.DisplayName == "process order.placed");

        Assert.Multiple(() =>
        {
            Assert.That(handlerTrace, Is.EqualTo(callerTrace), "the handler's Activity.Current is in the caller's trace");
            Assert.That(handlerParent, Is.EqualTo(publish.SpanId), "under the publish span");
            Assert.That(publish.Kind, Is.EqualTo(ActivityKind.Producer));
            Assert.That(publish.GetTagItem("messaging.system"), Is.EqualTo("eventmanager"));
            Assert.That(publish.GetTagItem("messaging.destination.name"), Is.EqualTo("order.placed"));
            Assert.That(publish.GetTagItem("messaging.operation.type"), Is.EqualTo("send"));
            Assert.That(publish.GetTagItem("messaging.message.id"), Is.EqualTo(evt.EventId));
            Assert.That(process.Kind, Is.EqualTo(ActivityKind.Consumer));
            Assert.That(process.GetTagItem("messaging.operation.type"), Is.EqualTo("process"));
            Assert.That(process.GetTagItem("eventmanager.listener.name"), Is.EqualTo("recorder"));
            Assert.That(evt.TraceParent, Is.EqualTo(publish.Id), "the event carries the publish span's context");
            Assert.That(evt.ToJson(), Does.Contain($"\"traceparent\":\"{publish.Id}\""));
        });
    }

    [Test]
    public async Task Publish_HandlerThrows_ItsSpanEndsInError()
    {
        var spans = new List<Activity>();
        using var tracing = Tracing(spans);
        await using var manager = new WebSocketEventManager();
        manager.AddListener(_ => throw new InvalidOperationException("boom"));

        manager.Publish(new CustomEvent("failing"));

        await Eventually.Until(() => Spans(spans).Any(s => s.DisplayName == "process failing"), "the handler's span ends");
        Assert.That(Spans(spans).Single(s => s.DisplayName == "process failing").Status, Is.EqualTo(ActivityStatusCode.Error));
    }

    [Test]
    public async Task TryPublish_RefusedByAFullIngress_EndsItsSpanInErrorAndLeavesTheEventWithoutContext()
    {
        var spans = new List<Activity>();
        using var tracing = Tracing(spans);
        await using var manager = new WebSocketEventManager(new EventManagerOptions { IngressCapacity = 1 });
        var stall = await StalledDispatcher.StallAsync(manager);
        manager.Publish(new CustomEvent("fills.the.ingress"));
        var refused = new CustomEvent("refused");

        var accepted = manager.TryPublish(refused);
        stall.Release();

        Assert.Multiple(() =>
        {
            Assert.That(accepted, Is.False);
            Assert.That(refused.TraceParent, Is.Null, "a later publish gives it the context of its own span");
            Assert.That(Spans(spans).Single(s => s.DisplayName == "publish refused").Status, Is.EqualTo(ActivityStatusCode.Error));
        });
    }

    [Test]
    public async Task Publish_WithoutATracingListener_WritesNoTraceContextEvenInsideAnActivity()
    {
        await using var manager = new WebSocketEventManager();
        var handled = new TaskCompletionSource<WebSocketEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        manager.AddListener(e => handled.TrySetResult(e));
        using var unsampled = new Activity("not-listened").Start();

        manager.Publish(new CustomEvent("quiet"));
        var evt = await Eventually.Within(handled.Task, "the handler runs");

        Assert.Multiple(() =>
        {
            Assert.That(evt.TraceParent, Is.Null);
            Assert.That(evt.ToJson(), Does.Not.Contain("traceparent"));
        });
    }

    [Test]
    public void Parse_TraceContextFields_AreReadAndWrittenBack()
    {
        const string traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        var evt = WebSocketEvent.Parse("""{"event_type":"x","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","tracestate":"vendor=1","data":{}}""");

        Assert.Multiple(() =>
        {
            Assert.That(evt.TraceParent, Is.EqualTo(traceParent));
            Assert.That(evt.TraceState, Is.EqualTo("vendor=1"));
            Assert.That(evt.ToJson(), Does.Contain($"\"traceparent\":\"{traceParent}\",\"tracestate\":\"vendor=1\""));
        });
    }

    [Test]
    public void Parse_InvalidTraceparent_IsIgnoredAndTheEventKept()
    {
        var evt = WebSocketEvent.Parse("""{"event_type":"x","traceparent":"not-a-traceparent","tracestate":"vendor=1","data":{}}""");

        Assert.Multiple(() =>
        {
            Assert.That(evt.TraceParent, Is.Null);
            Assert.That(evt.TraceState, Is.Null);
            Assert.That(evt.ToJson(), Does.Not.Contain("trace"));
        });
    }

    private static TracerProvider Tracing(List<Activity> spans) => Sdk.CreateTracerProviderBuilder()
        .AddSource(WebSocketEventManager.ActivitySourceName, Caller.Name)
        .SetSampler(new AlwaysOnSampler())
        .AddInMemoryExporter(spans)
        .Build();

    // The exporter appends from the threads that end spans.
    private static Activity[] Spans(List<Activity> spans)
    {
        lock (spans)
        {
            return [.. spans];
        }
    }
}
