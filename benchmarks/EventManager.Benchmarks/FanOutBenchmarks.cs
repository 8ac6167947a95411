using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace EventManager.Benchmarks;

/// <summary>
/// The fan-out a server with many socket clients runs: every event published to <see cref="Subscribers"/> pull subscriptions
/// with default options, each read by its own loop that takes what is queued, up to a frame of 50, as a socket's send loop
/// does. One operation is one event delivered to every subscriber. Events go out in rounds, each awaited until every
/// subscriber has it, so no queue overflows. Baseline in the same run: one raw bounded <see cref="Channel{T}"/> per subscriber
/// written by the publishing thread and read one event at a time (a channel has no batch read), which is what each
/// subscription's queue was before it took batches.
/// </summary>
[MemoryDiagnoser]
public class FanOutBenchmarks
{
    private const int Round = 5_000;
    private const int Rounds = 4;
    private const int Events = Round * Rounds;
    private const int Frame = 50;

    private WebSocketEventManager _manager = null!;
    private EventSubscription[] _subscriptions = null!;
    private Task[] _readers = null!;
    private Channel<WebSocketEvent>[] _channels = null!;
    private Task[] _pumps = null!;
    private RoundSignal _rounds = null!;
    private WebSocketEvent[] _events = null!;

    /// <summary>How many subscribers each event is delivered to.</summary>
    [Params(100)]
    public int Subscribers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _rounds = new RoundSignal(Round);
        _manager = new WebSocketEventManager();
        _subscriptions = new EventSubscription[Subscribers];
        _readers = new Task[Subscribers];
        _channels = new Channel<WebSocketEvent>[Subscribers];
        _pumps = new Task[Subscribers];
        for (var i = 0; i < Subscribers; i++)
        {
            var subscription = _subscriptions[i] = _manager.Subscribe();
            _readers[i] = Task.Run(() => ReadFramesAsync(subscription));
            _channels[i] = Channel.CreateBounded<WebSocketEvent>(new BoundedChannelOptions(ListenerOptions.DefaultCapacity)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
                SingleWriter = true,
            });
            _pumps[i] = _rounds.Pump(_channels[i]);
        }
    }

    /// <summary>An event instance is published once, so every iteration gets new ones, made outside the measurement.</summary>
    [IterationSetup]
    public void CreateEvents() => _events = ReadyEvents.Create(Events);

    [GlobalCleanup]
    public void Cleanup()
    {
        var dropped = _subscriptions.Sum(s => s.Dropped);
        _manager.DisposeAsync().AsTask().GetAwaiter().GetResult();
        foreach (var channel in _channels)
        {
            channel.Writer.Complete();
        }

        Task.WaitAll(_pumps);
        Task.WaitAll(_readers);
        _rounds.Dispose();
        if (dropped != 0)
        {
            throw new InvalidOperationException($"The subscriptions dropped {dropped} events; every event must be delivered.");
        }
    }

    /// <summary>One bounded channel per subscriber, written by the publishing thread, each read one event at a time.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public void RawChannels()
    {
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var evt in _events.AsSpan(round * Round, Round))
            {
                foreach (var channel in _channels)
                {
                    channel.Writer.TryWrite(evt);
                }
            }

            _rounds.Await(Subscribers);
        }
    }

    /// <summary>The manager with default options: ingress, dispatcher (stamping, history), one subscription per subscriber read a frame at a time.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public void WebSocketEventManager()
    {
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var evt in _events.AsSpan(round * Round, Round))
            {
                _manager.Publish(evt);
            }

            _rounds.Await(Subscribers);
        }
    }

    private async Task ReadFramesAsync(EventSubscription subscription)
    {
        var frame = new WebSocketEvent[Frame];
        var seen = 0;
        while (await subscription.WaitToReadAsync().ConfigureAwait(false))
        {
            var read = subscription.TryReadMany(frame);
            for (var i = 0; i < read; i++)
            {
                _rounds.Counted(ref seen);
            }
        }
    }
}
