using Microsoft.Extensions.Logging;

namespace EventManager;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Error, "Listener {ListenerId} ({ListenerName}) threw while handling {EventType} #{Sequence}; it keeps receiving events.")]
    public static partial void ListenerFailed(ILogger logger, Exception exception, long listenerId, string? listenerName, string eventType, long sequence);

    [LoggerMessage(2, LogLevel.Error, "The filter of listener {ListenerId} ({ListenerName}) threw for {EventType} #{Sequence}; the event was not delivered to it.")]
    public static partial void FilterFailed(ILogger logger, Exception exception, long listenerId, string? listenerName, string eventType, long sequence);

    [LoggerMessage(3, LogLevel.Warning, "Event manager {InstanceId} did not drain within {Timeout}; {Undelivered} queued events were abandoned and counted as dropped.")]
    public static partial void ShutdownTimedOut(ILogger logger, string instanceId, TimeSpan timeout, long undelivered);

    [LoggerMessage(4, LogLevel.Debug, "Event manager {InstanceId} stopped: {Published} published, {Delivered} delivered, {Dropped} dropped.")]
    public static partial void Stopped(ILogger logger, string instanceId, long published, long delivered, long dropped);

    [LoggerMessage(6, LogLevel.Error, "Event {EventId} was published twice at the same moment, to this or another manager; the second copy was dropped. Publish a copy made with 'with {{ }}' instead.")]
    public static partial void PublishedTwice(ILogger logger, string eventId);

    [LoggerMessage(12, LogLevel.Warning, "Listener {ListenerId} ({ListenerName}) dropped {Dropped} events, {Total} in all (queue of {Capacity}, {Policy}): its handler fell behind by a full queue, or it was removed or stopped with events queued. Reported at most once a second.")]
    public static partial void ListenerDropped(ILogger logger, long listenerId, string? listenerName, long dropped, long total, int capacity, OverflowPolicy policy);

    [LoggerMessage(13, LogLevel.Warning, "Event manager {InstanceId} dropped {Dropped} published events, {Total} in all: its ingress queue of {Capacity} was full under {Policy}. Reported at most once a second.")]
    public static partial void IngressDropped(ILogger logger, string instanceId, long dropped, long total, int capacity, OverflowPolicy policy);

    [LoggerMessage(5, LogLevel.Error, "The status reporter failed to sample or publish; it will try again at the next interval.")]
    public static partial void StatusReportFailed(ILogger logger, Exception exception);

    [LoggerMessage(7, LogLevel.Debug, "Socket client {ClientId} sent a bad frame ({Code}): {Message}. It was told so and stays connected.")]
    public static partial void ClientError(ILogger logger, string clientId, string code, string message);

    [LoggerMessage(8, LogLevel.Warning, "Closing socket client {ClientId} with code {CloseCode}: {Reason}.")]
    public static partial void ClientViolation(ILogger logger, string clientId, int closeCode, string reason);

    [LoggerMessage(9, LogLevel.Information, "Refused a socket client for session {SessionId}: {Reason}.")]
    public static partial void ClientRefused(ILogger logger, string? sessionId, string reason);

    [LoggerMessage(10, LogLevel.Debug, "Socket client {ClientId} ({Kind}) connected to session {SessionId}; {Clients} clients now.")]
    public static partial void ClientConnected(ILogger logger, string clientId, string kind, string? sessionId, int clients);

    [LoggerMessage(11, LogLevel.Debug, "Socket client {ClientId} left (close code {CloseCode}); {Clients} clients now.")]
    public static partial void ClientLeft(ILogger logger, string clientId, int? closeCode, int clients);
}
