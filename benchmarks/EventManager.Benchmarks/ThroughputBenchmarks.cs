using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace EventManager.Benchmarks;

/// <summary>
/// Publish-to-delivery throughput of ready-made events with default options (history on, default queues, DropOldest
/// listeners): one operation is one event published from one thread and received by every listener. Events go out in
/// rounds of <see cref="Round"/>, each awaited until every listener has it, so no queue ever overflows and every event is
/// delivered (checked). Baselines in the same run: a raw bounded <see cref="Channel{T}"/> and reader loop per listener
/// (the practical ceiling of one hop) and the manager's two hops with raw channels and nothing else. Every case gets its
/// events made before each iteration (one invocation per iteration), so all share one job and BenchmarkDotNet's Ratio.
/// </summary>
[MemoryDiagnoser]
public class ThroughputBenchmarks
{
    private const int Round = 50_000;
    private const int Rounds = 30;
    private const int Events = Round * Rounds;

    // The defaults of the manager's queues, so the raw baselines hold as much as it does.
    private const int Capacity = EventManagerOptions.DefaultIngressCapacity;

    private WebSocketEventManager _manager = null!;
    private WebSocketEvent[] _events = null!;
    private RoundSignal _rounds = null!;
    private Channel<WebSocketEvent>[] _channels = null!;
    private Task[] _pumps = null!;
    private Channel<WebSocketEvent> _ingress = null!;
    private Task[] _twoHopPumps = null!;

    /// <summary>How many listeners each event is delivered to.</summary>
    [Params(1, 8)]
    public int Listeners { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _rounds = new RoundSignal(Round);
        _manager = new WebSocketEventManager();
        for (var i = 0; i < Listeners; i++)
        {
            var seen = 0;
            _manager.AddListener(_ => _rounds.Counted(ref seen));
        }

        _channels = new Channel<WebSocketEvent>[Listeners];
        _pumps = new Task[Listeners];
        for (var i = 0; i < Listeners; i++)
        {
            _channels[i] = Channel.CreateBounded<WebSocketEvent>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true });
            _pumps[i] = _rounds.Pump(_channels[i]);
        }

        _ingress = Channel.CreateBounded<WebSocketEvent>(new BoundedChannelOptions(Capacity) { SingleReader = true });
        var outlets = new Channel<WebSocketEvent>[Listeners];
        _twoHopPumps = new Task[Listeners + 1];
        for (var i = 0; i < Listeners; i++)
        {
            outlets[i] = Channel.CreateBounded<WebSocketEvent>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true });
            _twoHopPumps[i] = _rounds.Pump(outlets[i]);
        }

        _twoHopPumps[Listeners] = Task.Run(async () =>
        {
            while (await _ingress.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (_ingress.Reader.TryRead(out var evt))
                {
                    foreach (var outlet in outlets)
                    {
                        if (!outlet.Writer.TryWrite(evt))
                        {
                            await outlet.Writer.WriteAsync(evt).ConfigureAwait(false);
                        }
                    }
                }
            }

            foreach (var outlet in outlets)
            {
                outlet.Writer.Complete();
            }
        });
    }

    /// <summary>An event instance is published once, so every iteration gets new ones, made outside the measurement.</summary>
    [IterationSetup]
    public void CreateEvents() => _events = ReadyEvents.Create(Events);

    [GlobalCleanup]
    public void Cleanup()
    {
        _manager.DisposeAsync().AsTask().GetAwaiter().GetResult();
        var dropped = _manager.GetMetrics().Dropped;
        foreach (var channel in _channels)
        {
            channel.Writer.Complete();
        }

        _ingress.Writer.Complete();
        Task.WaitAll(_pumps);
        Task.WaitAll(_twoHopPumps);
        _rounds.Dispose();
        if (dropped != 0)
        {
            throw new InvalidOperationException($"The manager dropped {dropped} events; every event must be delivered.");
        }
    }

    /// <summary>The practical ceiling: each event written to one bounded channel per listener and read by its loop.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public void RawChannelPump()
    {
        var events = _events;
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var evt in events.AsSpan(round * Round, Round))
            {
                foreach (var channel in _channels)
                {
                    if (!channel.Writer.TryWrite(evt))
                    {
                        channel.Writer.WriteAsync(evt).AsTask().GetAwaiter().GetResult();
                    }
                }
            }

            _rounds.Await(Listeners);
        }
    }

    /// <summary>The manager's two hops with raw channels and none of its work: the ceiling of this architecture.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public void RawTwoHopPump()
    {
        var events = _events;
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var evt in events.AsSpan(round * Round, Round))
            {
                if (!_ingress.Writer.TryWrite(evt))
                {
                    _ingress.Writer.WriteAsync(evt).AsTask().GetAwaiter().GetResult();
                }
            }

            _rounds.Await(Listeners);
        }
    }

    /// <summary>The manager with default options: ingress, dispatcher (stamping, history, filters), one queue and loop per listener.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public void WebSocketEventManager()
    {
        var events = _events;
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var evt in events.AsSpan(round * Round, Round))
            {
                _manager.Publish(evt);
            }

            _rounds.Await(Listeners);
        }
    }
}
