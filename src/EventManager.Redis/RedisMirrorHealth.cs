namespace EventManager.Redis;

/// <summary>How well a <see cref="RedisEventMirror"/> is mirroring. Local publishing and delivery are unaffected in every state.</summary>
public enum RedisMirrorHealth
{
    /// <summary>Started but not yet connected for the first time.</summary>
    Starting,

    /// <summary>Connected and subscribed; local events are sent as they come.</summary>
    Connected,

    /// <summary>
    /// Connected, but catching up: sending events buffered during an outage, waiting for other instances to resubscribe,
    /// or retrying after a failed write.
    /// </summary>
    Degraded,

    /// <summary>Redis is unreachable. Local events wait in the bounded outbound buffer and nothing arrives from other instances.</summary>
    LocalOnly,

    /// <summary>Disposed.</summary>
    Stopped,
}
