using Microsoft.Extensions.Logging;

namespace EventManager.Redis.Diagnostics;

internal static partial class Log
{
    [LoggerMessage(EventId = 101, Message = "Redis mirror of {InstanceId} on '{Channel}': {Previous} -> {Current}.")]
    public static partial void HealthChanged(ILogger logger, LogLevel level, string instanceId, string channel, RedisMirrorHealth previous, RedisMirrorHealth current);

    [LoggerMessage(109, LogLevel.Warning, "Redis mirror of {InstanceId} on '{Channel}': {Previous} -> LocalOnly, {Cause}. Local delivery continues and outbound events are buffered.")]
    public static partial void Unreachable(ILogger logger, string instanceId, string channel, RedisMirrorHealth previous, string cause);

    [LoggerMessage(102, LogLevel.Warning, "Redis connection failed: {Failure}.")]
    public static partial void ConnectionFailed(ILogger logger, string failure);

    [LoggerMessage(103, LogLevel.Warning, "Writing to Redis failed; {Unsent} events of the batch will be sent again. Further failures of this batch are counted, not logged.")]
    public static partial void WriteFailed(ILogger logger, Exception exception, int unsent);

    [LoggerMessage(104, LogLevel.Warning, "Skipped a malformed message on Redis channel '{Channel}': {Reason}. {Total} so far; more within a second are logged at Debug.")]
    public static partial void MalformedInbound(ILogger logger, string channel, string reason, long total);

    [LoggerMessage(105, LogLevel.Debug, "Skipped a malformed message on Redis channel '{Channel}': {Reason}. {Total} so far.")]
    public static partial void MalformedInboundDetail(ILogger logger, string channel, string reason, long total);

    [LoggerMessage(106, LogLevel.Warning, "After reconnecting, {Subscribed} of the {Expected} subscribers seen before the outage came back within {GracePeriod}; sending the buffered events anyway.")]
    public static partial void PeersDidNotReturn(ILogger logger, long expected, long subscribed, TimeSpan gracePeriod);

    [LoggerMessage(110, LogLevel.Information, "An event reached fewer Redis subscribers than the one before it; waiting up to the reconnect grace period for the missing one to subscribe again (an instance that stopped never does), then sending {Unsent} events again from that one.")]
    public static partial void ReceiverMissing(ILogger logger, int unsent);

    [LoggerMessage(111, LogLevel.Information, "{Subscribed} of the {Expected} Redis subscribers are back after {GracePeriod}; the one missing is taken to have stopped, and the events held for it are sent on.")]
    public static partial void ReceiverLeft(ILogger logger, long expected, long subscribed, TimeSpan gracePeriod);

    [LoggerMessage(112, LogLevel.Information, "The Redis connection is up but the subscription to '{Channel}' has been missing for {Patience} (after a cluster failover StackExchange.Redis may not renew it); reloading the cluster's layout to subscribe again.")]
    public static partial void SubscriptionRenewed(ILogger logger, string channel, TimeSpan patience);

    [LoggerMessage(107, LogLevel.Warning, "The Redis mirror did not send its buffer within {Timeout}; {Unsent} events were dropped.")]
    public static partial void ShutdownTimedOut(ILogger logger, TimeSpan timeout, int unsent);

    [LoggerMessage(108, LogLevel.Error, "A message on Redis channel '{Channel}' failed unexpectedly and was skipped; it is counted as malformed and the subscription continues.")]
    public static partial void InboundFailed(ILogger logger, Exception exception, string channel);
}
