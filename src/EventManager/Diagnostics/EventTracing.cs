using System.Diagnostics;

namespace EventManager.Diagnostics;

/// <summary>
/// The <c>EventManager</c> activity source: a Producer span per publish and a Consumer span per handler call, after
/// OpenTelemetry's messaging conventions. Nothing is created, and nothing allocated, while no listener samples the source:
/// each span starts under a constant name and gets its display name (<c>publish &lt;event_type&gt;</c>) only once it exists.
/// </summary>
internal static class EventTracing
{
    public static readonly ActivitySource Source = new(WebSocketEventManager.ActivitySourceName, typeof(WebSocketEventManager).Assembly.GetName().Version?.ToString());

    /// <summary>
    /// Starts the publish span, a child of the current activity (or of the context the event already carries), and gives the
    /// event that span's context unless it carries one already, as an event received from another instance does.
    /// </summary>
    public static Activity? StartPublish(WebSocketEvent evt)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var parent = Activity.Current is null && TraceContext.TryGet(evt, out var carried) ? carried : default;
        var activity = Source.StartActivity("publish", ActivityKind.Producer, parent);
        if (activity is null)
        {
            return null;
        }

        if (evt.TraceParent is null)
        {
            evt.SetTraceContext(activity.Id, activity.TraceStateString);
        }

        if (TraceContext.Describe(activity, "publish " + evt.EventType, "eventmanager", evt.EventType, "send", "publish"))
        {
            activity.SetTag(TraceContext.MessageId, evt.EventId);
        }

        return activity;
    }

    /// <summary>Starts the span around one handler call, a child of the span that published the event; none when the event carries no context.</summary>
    public static Activity? StartProcess(WebSocketEvent evt, long listenerId, string? listenerName)
    {
        if (!Source.HasListeners() || !TraceContext.TryGet(evt, out var parent))
        {
            return null;
        }

        var activity = Source.StartActivity("process", ActivityKind.Consumer, parent);
        if (activity is null)
        {
            return null;
        }

        if (TraceContext.Describe(activity, "process " + evt.EventType, "eventmanager", evt.EventType, "process", "process"))
        {
            activity.SetTag(TraceContext.MessageId, evt.EventId);
            activity.SetTag("eventmanager.listener.id", listenerId);
            if (listenerName is not null)
            {
                activity.SetTag("eventmanager.listener.name", listenerName);
            }
        }

        return activity;
    }
}
