namespace EventManager.Sockets;

/// <summary>The counters of one session while it has clients.</summary>
internal sealed class SessionStats(long startedTimestamp)
{
    private long _eventsSent;
    private long _bytesSent;

    /// <summary>Clients connected now; changed under the broadcaster's lock.</summary>
    public int Clients { get; set; }

    public void CountSent(long events, long bytes)
    {
        Interlocked.Add(ref _eventsSent, events);
        Interlocked.Add(ref _bytesSent, bytes);
    }

    public SessionMetrics Snapshot(TimeProvider time) =>
        new(Clients, Interlocked.Read(ref _eventsSent), Interlocked.Read(ref _bytesSent), time.GetElapsedTime(startedTimestamp));
}
