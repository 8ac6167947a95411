using System.Diagnostics;
using BenchmarkDotNet.Attributes;

namespace EventManager.Benchmarks;

/// <summary>
/// What tracing costs on the publish-to-handler path, default options, one listener: one operation is one ready-made event
/// published and handled, in rounds as in <see cref="ThroughputBenchmarks"/>. The baseline has no listener on the
/// <c>EventManager</c> activity source, as an app without OpenTelemetry tracing; the others register an
/// <see cref="ActivityListener"/> before the manager starts (each case runs in its own process): one that samples nothing,
/// and one that records every span (the publish span and the handler's), with no exporter, so the figure is ours.
/// </summary>
[MemoryDiagnoser]
public class TracingBenchmarks
{
    private const int Round = 50_000;
    private const int Rounds = 20;
    private const int Events = Round * Rounds;

    private WebSocketEventManager _manager = null!;
    private WebSocketEvent[] _events = null!;
    private RoundSignal _rounds = null!;
    private ActivityListener? _listener;

    [GlobalSetup(Target = nameof(NoTracingListener))]
    public void SetupWithoutListener() => Start();

    [GlobalSetup(Target = nameof(ListenerSamplingNothing))]
    public void SetupSamplingNothing() => Start(ActivitySamplingResult.None);

    [GlobalSetup(Target = nameof(ListenerRecordingEverySpan))]
    public void SetupRecording() => Start(ActivitySamplingResult.AllDataAndRecorded);

    /// <summary>An event instance is published once, so every iteration gets new ones, made outside the measurement.</summary>
    [IterationSetup]
    public void CreateEvents()
    {
        _events = new WebSocketEvent[Events];
        for (var i = 0; i < Events; i++)
        {
            _events[i] = new AgentMessageEvent("agent_1", "CognitivePsychologist", "hello");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _manager.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _listener?.Dispose();
        _rounds.Dispose();
        if (_manager.GetMetrics().Dropped != 0)
        {
            throw new InvalidOperationException("The manager dropped events; every event must be delivered.");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public void NoTracingListener() => PublishRounds();

    [Benchmark(OperationsPerInvoke = Events)]
    public void ListenerSamplingNothing() => PublishRounds();

    [Benchmark(OperationsPerInvoke = Events)]
    public void ListenerRecordingEverySpan() => PublishRounds();

    private void Start(ActivitySamplingResult? sampling = null)
    {
        if (sampling is { } result)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == WebSocketEventManager.ActivitySourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => result,
            };
            ActivitySource.AddActivityListener(_listener);
        }

        _rounds = new RoundSignal(Round);
        _manager = new WebSocketEventManager();
        var seen = 0;
        _manager.AddListener(_ => _rounds.Counted(ref seen));
    }

    private void PublishRounds()
    {
        var events = _events;
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var evt in events.AsSpan(round * Round, Round))
            {
                _manager.Publish(evt);
            }

            _rounds.Await(1);
        }
    }
}
