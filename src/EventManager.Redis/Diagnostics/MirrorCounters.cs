namespace EventManager.Redis.Diagnostics;

/// <summary>
/// The mirror's counters, shared by its parts and read together by <see cref="RedisEventMirror.GetMetrics"/>. Each is changed
/// with <see cref="Interlocked"/> by the part named beside it.
/// </summary>
internal sealed class MirrorCounters
{
    /// <summary>Outbound: local events written to Redis.</summary>
    public long MirroredOut;

    /// <summary>Outbound: events taken from the queue into a batch and not written yet.</summary>
    public long Unsent;

    /// <summary>Outbound: events given up when stopping timed out.</summary>
    public long Abandoned;

    /// <summary>Inbound: events from other instances published locally.</summary>
    public long MirroredIn;

    /// <summary>Inbound: own events that came back.</summary>
    public long Echoes;

    /// <summary>Inbound: events seen again by id.</summary>
    public long Duplicates;

    /// <summary>Inbound: messages that were not events, or too long.</summary>
    public long Malformed;

    /// <summary>Inbound: messages dropped from a full inbound buffer.</summary>
    public long InboundDropped;

    /// <summary>Any part: failed Redis operations.</summary>
    public long RedisErrors;

    /// <summary>Connection: times it came back.</summary>
    public long Reconnects;
}
