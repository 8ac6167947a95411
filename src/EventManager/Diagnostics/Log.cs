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
}
