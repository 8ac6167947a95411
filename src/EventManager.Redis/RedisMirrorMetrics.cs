namespace EventManager.Redis;

/// <summary>A snapshot of a <see cref="RedisEventMirror"/>'s counters. The same figures are on the <c>EventManager.Redis</c> meter.</summary>
/// <param name="Health">The state when the snapshot was taken.</param>
/// <param name="MirroredOut">Local events written to Redis (a resend after a failed write counts again).</param>
/// <param name="MirroredIn">Events received from Redis and published to the local manager.</param>
/// <param name="EchoesSuppressed">This instance's own events that came back from Redis and were skipped.</param>
/// <param name="DuplicatesSuppressed">Events received again with an event id seen moments before, such as a resend after a write whose reply was lost; skipped.</param>
/// <param name="MalformedInbound">Received messages that were not a valid event or were longer than <see cref="RedisMirrorOptions.MaxMessageBytes"/>; logged and skipped.</param>
/// <param name="InboundDropped">Received messages dropped because the inbound buffer was full.</param>
/// <param name="RedisErrors">Failed Redis operations (each failed write attempt counts once).</param>
/// <param name="Reconnects">Times the connection came back after being lost, or first came up after a start that found no server.</param>
/// <param name="OutboundBufferDepth">Local events waiting to be sent.</param>
/// <param name="OutboundDropped">Local events never sent: the outbound buffer overflowed, or stopping timed out.</param>
/// <param name="LastFailure">
/// The last connection failure StackExchange.Redis reported, as the endpoint and the cause (such as <c>UnableToConnect</c>,
/// <c>AuthenticationFailure</c> or <c>Loading</c>) with its message; <see langword="null"/> when none has happened. It stays
/// after the connection comes back, as the cause of the last outage.
/// </param>
public sealed record RedisMirrorMetrics(
    RedisMirrorHealth Health,
    long MirroredOut,
    long MirroredIn,
    long EchoesSuppressed,
    long DuplicatesSuppressed,
    long MalformedInbound,
    long InboundDropped,
    long RedisErrors,
    long Reconnects,
    int OutboundBufferDepth,
    long OutboundDropped,
    string? LastFailure);
