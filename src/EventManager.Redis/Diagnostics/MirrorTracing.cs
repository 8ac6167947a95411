using System.Diagnostics;
using EventManager.Diagnostics;

namespace EventManager.Redis.Diagnostics;

/// <summary>
/// The <c>EventManager.Redis</c> activity source: a Producer span per batch written to Redis, linked to each event's publish
/// span, and a Consumer span per event received, a child of its publish span on the instance that sent it, around its
/// publication here. Nothing is created while no listener samples the source.
/// </summary>
internal static class MirrorTracing
{
    public static readonly ActivitySource Source = new(RedisEventMirror.ActivitySourceName, typeof(RedisEventMirror).Assembly.GetName().Version?.ToString());

    public static Activity? StartSend(string channel, WebSocketEvent[] batch, int count)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        // A root span linked to the events' publish spans, whatever activity the outbound loop was started under; the caller is
        // an async method, so clearing Activity.Current here does not reach past it.
        Activity.Current = null;
        var activity = Source.StartActivity(ActivityKind.Producer, default(ActivityContext), links: TraceContext.Links(batch, count), name: "send");
        if (activity is null)
        {
            return null;
        }

        if (TraceContext.Describe(activity, "send " + channel, "redis", channel, "send", "publish"))
        {
            activity.SetTag(TraceContext.BatchMessageCount, count);
        }

        return activity;
    }

    public static Activity? StartReceive(string channel, WebSocketEvent evt)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        TraceContext.TryGet(evt, out var parent);
        var activity = Source.StartActivity("receive", ActivityKind.Consumer, parent);
        if (activity is null)
        {
            return null;
        }

        if (TraceContext.Describe(activity, "receive " + channel, "redis", channel, "receive", "receive"))
        {
            activity.SetTag(TraceContext.MessageId, evt.EventId);
        }

        return activity;
    }
}
