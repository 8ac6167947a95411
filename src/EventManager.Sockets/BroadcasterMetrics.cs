namespace EventManager.Sockets;

/// <summary>A snapshot of a <see cref="WebSocketBroadcaster"/>'s counters, in the shape of the event-streaming design's metrics.</summary>
/// <param name="ConnectedClients">WebSocket and SSE clients connected now.</param>
/// <param name="ActiveSessions">Sessions with at least one client now.</param>
/// <param name="EventsSent">Events sent to clients, counting each recipient.</param>
/// <param name="BytesSent">Bytes of frames sent to clients (WebSocket payloads and SSE text), before compression.</param>
/// <param name="EventsDropped">Events dropped from clients' send queues (slow clients); each WebSocket client is told in a <c>gap</c> frame.</param>
/// <param name="ClientsRefused">Connections refused by the client limits.</param>
/// <param name="ProtocolErrors">Client frames answered with an <c>error</c> frame or a closing code.</param>
/// <param name="ResumesAttempted">Clients that asked to resume after an event (<c>last_event_id</c>, <c>resume</c>, <c>Last-Event-ID</c>).</param>
/// <param name="ResumesRecovered">Resumes that found the event and replayed what followed.</param>
/// <param name="ResumesNotRecovered">Resumes that could not: history exceeded, epoch changed, or an unknown id.</param>
/// <param name="EventsReplayed">Events replayed to resuming clients.</param>
/// <param name="Sessions">Figures per session with clients now.</param>
public sealed record BroadcasterMetrics(
    int ConnectedClients,
    int ActiveSessions,
    long EventsSent,
    long BytesSent,
    long EventsDropped,
    long ClientsRefused,
    long ProtocolErrors,
    long ResumesAttempted,
    long ResumesRecovered,
    long ResumesNotRecovered,
    long EventsReplayed,
    IReadOnlyDictionary<string, SessionMetrics> Sessions);

/// <summary>Figures of one session.</summary>
/// <param name="ConnectedClients">Clients connected to the session now.</param>
/// <param name="EventsSent">Events sent to the session's clients while it has had clients.</param>
/// <param name="BytesSent">Bytes sent to them.</param>
/// <param name="Uptime">How long the session has had clients without a break.</param>
public sealed record SessionMetrics(int ConnectedClients, long EventsSent, long BytesSent, TimeSpan Uptime);
