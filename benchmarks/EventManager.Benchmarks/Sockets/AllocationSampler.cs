using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace EventManager.Benchmarks.Sockets;

/// <summary>
/// The runtime's allocation sample (one event per about 100 KB allocated, naming the type that crossed the mark), read
/// in-process: which types a run allocates, by sampled bytes, without an external tracer.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const int AllocationTickEvent = 10;
    private const EventKeywords GcKeyword = (EventKeywords)0x1;

    private readonly ConcurrentDictionary<string, long> _bytesByType = new(StringComparer.Ordinal);
    private volatile bool _recording;

    /// <summary>Starts counting; samples before this are ignored.</summary>
    public void Start() => _recording = true;

    /// <summary>The types sampled most, by bytes, largest first.</summary>
    public IEnumerable<(string Type, long Bytes)> Top(int count) =>
        _bytesByType.OrderByDescending(pair => pair.Value).Take(count).Select(pair => (pair.Key, pair.Value));

    /// <summary>Turns on the runtime's GC events, which carry the allocation sample.</summary>
    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, GcKeyword);
        }
    }

    /// <summary>Adds a sample's bytes to its type, once recording has started.</summary>
    protected override void OnEventWritten(EventWrittenEventArgs data)
    {
        if (!_recording || data.EventId != AllocationTickEvent || data.Payload is null)
        {
            return;
        }

        var type = data.Payload[data.PayloadNames!.IndexOf("TypeName")] as string ?? "?";
        var amount = Convert.ToInt64(data.Payload[data.PayloadNames.IndexOf("AllocationAmount64")], System.Globalization.CultureInfo.InvariantCulture);
        _bytesByType.AddOrUpdate(type, amount, (_, total) => total + amount);
    }
}
