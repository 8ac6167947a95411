namespace EventManager.Sockets;

/// <summary>A snapshot of a <see cref="WebSocketBroadcaster"/>'s counters, in the shape of the event-streaming design's metrics.</summary>
/// <param name="ConnectedClients">WebSocket and SSE clients connected now.</param>
/// <param name="ActiveSessions">Sessions with at least one client now.</param>
/// <param name="EventsSent">Events sent to clients, counting each recipient.</param>
/// <param name="BytesSent">Bytes of frames sent to clients (WebSocket payloads and SSE text), before compression.</param>
/// <param name="EventsDropped">Events dropped from clients' send queues (slow clients); each WebSocket client is told in a <c>gap</c> frame.</param>
/// <param name="ClientsRefused">Connections refused by the client limits.</param>
/// <param name="ProtocolErrors">Client frames answered with an <c>error</c> frame or a closing code.</param>
/// <param name="Sessions">Figures per session with clients now.</param>
public sealed record BroadcasterMetrics(
    int ConnectedClients,
    int ActiveSessions,
    long EventsSent,
    long BytesSent,
    long EventsDropped,
    long ClientsRefused,
    long ProtocolErrors,
    IReadOnlyDictionary<string, SessionMetrics> Sessions);

/// <summary>Figures of one session.</summary>
/// <param name="ConnectedClients">Clients connected to the session now.</param>
/// <param name="EventsSent">Events sent to the session's clients while it has had clients.</param>
/// <param name="BytesSent">Bytes sent to them.</param>
/// <param name="Uptime">How long the session has had clients without a break.</param>
public sealed record SessionMetrics(int ConnectedClients, long EventsSent, long BytesSent, TimeSpan Uptime);
