using System.Reactive.Subjects;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using EventManager;

namespace EventManager.Benchmarks;

/// <summary>
/// Publish-to-delivery throughput: <see cref="Events"/> ready-made events are published from one thread and the
/// operation ends when every listener has received the last one. Baselines in the same run: a raw bounded
/// <see cref="Channel{T}"/> pump per listener (the practical ceiling for one hop through a channel) and a
/// System.Reactive <see cref="Subject{T}"/> (synchronous, unbounded, no isolation).
/// </summary>
/// <remarks>
/// Thread scheduling on a small machine makes single runs bimodal, so each case runs in three processes and the
/// median is shown beside the mean.
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(launchCount: 3, warmupCount: 5, iterationCount: 20)]
public class ThroughputBenchmarks
{
    private const int Events = 100_000;

    // Room for a whole operation, so the figures show the publish and delivery path rather than waits for room.
    private const int Capacity = 131_072;

    private WebSocketEventManager _manager = null!;
    private WebSocketEvent[] _events = null!;
    private CountdownEvent _done = null!;
    private Channel<WebSocketEvent>[] _channels = null!;
    private Task[] _pumps = null!;
    private Subject<WebSocketEvent> _subject = null!;
    private int _received;

    /// <summary>How many listeners each event is delivered to.</summary>
    [Params(1, 8)]
    public int Listeners { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _done = new CountdownEvent(Listeners);
        _manager = new WebSocketEventManager(new EventManagerOptions { IngressCapacity = Capacity });
        for (var i = 0; i < Listeners; i++)
        {
            var seen = 0;
            _manager.AddListener(
                _ =>
                {
                    if (++seen % Events == 0)
                    {
                        _done.Signal();
                    }
                },
                new ListenerOptions { Capacity = Capacity, OverflowPolicy = OverflowPolicy.Wait });
        }

        _channels = new Channel<WebSocketEvent>[Listeners];
        _pumps = new Task[Listeners];
        for (var i = 0; i < Listeners; i++)
        {
            var channel = Channel.CreateBounded<WebSocketEvent>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true });
            _channels[i] = channel;
            _pumps[i] = Task.Run(async () =>
            {
                var seen = 0;
                while (await channel.Reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    while (channel.Reader.TryRead(out _))
                    {
                        if (++seen % Events == 0)
                        {
                            _done.Signal();
                        }
                    }
                }
            });
        }

        _subject = new Subject<WebSocketEvent>();
        for (var i = 0; i < Listeners; i++)
        {
            _subject.Subscribe(_ => _received++);
        }
    }

    [IterationSetup]
    public void CreateEvents()
    {
        _events = new WebSocketEvent[Events];
        for (var i = 0; i < Events; i++)
        {
            _events[i] = new AgentMessageEvent("agent_1", "CognitivePsychologist", "hello");
        }

        _done.Reset(Listeners);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _manager.DisposeAsync().AsTask().GetAwaiter().GetResult();
        foreach (var channel in _channels)
        {
            channel.Writer.Complete();
        }

        Task.WaitAll(_pumps);
        _subject.Dispose();
    }

    /// <summary>The practical ceiling: each event written to one bounded channel per listener and read by its pump.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public void RawChannelPump()
    {
        foreach (var evt in _events)
        {
            foreach (var channel in _channels)
            {
                if (!channel.Writer.TryWrite(evt))
                {
                    channel.Writer.WriteAsync(evt).AsTask().GetAwaiter().GetResult();
                }
            }
        }

        _done.Wait();
    }

    /// <summary>The manager: ingress channel, dispatcher, one channel and loop per listener.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public void WebSocketEventManager()
    {
        foreach (var evt in _events)
        {
            _manager.Publish(evt);
        }

        _done.Wait();
    }

    /// <summary>System.Reactive: handlers run synchronously on the publishing thread.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public void ReactiveSubject()
    {
        foreach (var evt in _events)
        {
            _subject.OnNext(evt);
        }
    }
}
