using System.Diagnostics;
using EventManager.Diagnostics;

namespace EventManager.Sockets;

/// <summary>
/// The <c>EventManager.Sockets</c> activity source: a Producer span per frame of events sent to a WebSocket client (a batch,
/// or one event without batching), linked to each event's publish span. Nothing is created while no listener samples it.
/// </summary>
internal static class SocketTracing
{
    public static readonly ActivitySource Source = new(WebSocketBroadcaster.ActivitySourceName, typeof(WebSocketBroadcaster).Assembly.GetName().Version?.ToString());

    public static Activity? StartBatch(ClientConnection connection, List<WebSocketEvent> batch)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        // A root span, linked to the events' publish spans: the send loop runs inside the request that opened the socket (an
        // ASP.NET Core request activity lasting as long as the connection), and frames must not pile up under it. The caller
        // is an async method, so clearing Activity.Current here does not reach past it.
        Activity.Current = null;
        var activity = Source.StartActivity(ActivityKind.Producer, default(ActivityContext), links: TraceContext.Links(batch, batch.Count), name: "send");
        if (activity is null)
        {
            return null;
        }

        var destination = connection.Options.SessionId ?? "global";
        if (TraceContext.Describe(activity, "send " + destination, "eventmanager", destination, "send", "send"))
        {
            activity.SetTag(TraceContext.BatchMessageCount, batch.Count);
            activity.SetTag(TraceContext.ClientId, connection.Id);
        }

        return activity;
    }
}
