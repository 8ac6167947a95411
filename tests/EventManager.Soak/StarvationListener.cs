using System.Diagnostics.Tracing;

namespace EventManager.Soak;

/// <summary>Counts the runtime's thread-pool adjustments made because of starvation (reason 6 of ThreadPoolWorkerThreadAdjustment).</summary>
internal sealed class StarvationListener : EventListener
{
    private const int StarvationReason = 6;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private long _starvations;

    public long Starvations => Interlocked.Read(ref _starvations);

    /// <summary>When each adjustment happened, from the start of the soak.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<TimeSpan> Times { get; } = new();

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Informational, (EventKeywords)0x10000);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName == "ThreadPoolWorkerThreadAdjustmentAdjustment"
            && eventData.PayloadNames?.IndexOf("Reason") is int index and >= 0
            && Convert.ToInt32(eventData.Payload![index], System.Globalization.CultureInfo.InvariantCulture) == StarvationReason)
        {
            Interlocked.Increment(ref _starvations);
            Times.Enqueue(_clock.Elapsed);
        }
    }
}
