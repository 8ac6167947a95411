using System.Diagnostics;

namespace EventManager.Diagnostics;

/// <summary>
/// The W3C trace context an event carries, and the OpenTelemetry messaging attributes every package's spans share.
/// Shared source: compiled into each package that traces.
/// </summary>
internal static class TraceContext
{
    public const string System = "messaging.system";
    public const string DestinationName = "messaging.destination.name";
    public const string OperationType = "messaging.operation.type";
    public const string OperationName = "messaging.operation.name";
    public const string MessageId = "messaging.message.id";
    public const string BatchMessageCount = "messaging.batch.message_count";
    public const string ClientId = "messaging.client.id";

    /// <summary>
    /// Names a span that exists (the display name is set only now, so a span not sampled cost no string) and, when the listener
    /// wants its data, gives it the messaging attributes every package's spans share.
    /// </summary>
    /// <returns>Whether the listener wants the data, so the caller adds its own attributes too.</returns>
    public static bool Describe(Activity activity, string displayName, string system, string destination, string operationType, string operationName)
    {
        activity.DisplayName = displayName;
        if (!activity.IsAllDataRequested)
        {
            return false;
        }

        activity.SetTag(System, system);
        activity.SetTag(DestinationName, destination);
        activity.SetTag(OperationType, operationType);
        activity.SetTag(OperationName, operationName);
        return true;
    }

    /// <summary>The context of the span that published <paramref name="evt"/>, when it carries a valid one.</summary>
    public static bool TryGet(WebSocketEvent evt, out ActivityContext context)
    {
        context = default;
        return evt.TraceParent is { } traceParent && ActivityContext.TryParse(traceParent, evt.TraceState, isRemote: true, out context);
    }

    /// <summary>A link to each event's publishing span, for a span that sends several events at once.</summary>
    public static List<ActivityLink>? Links(IReadOnlyList<WebSocketEvent> events, int count)
    {
        List<ActivityLink>? links = null;
        for (var i = 0; i < count; i++)
        {
            if (TryGet(events[i], out var context))
            {
                (links ??= new List<ActivityLink>(count - i)).Add(new ActivityLink(context));
            }
        }

        return links;
    }
}
