using System.Reactive.Subjects;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using EventManager;

namespace EventManager.Benchmarks;

/// <summary>
/// Publish-to-delivery throughput: <see cref="Events"/> ready-made events are published from one thread and the
/// operation ends when every listener has received the last one. Baselines in the same run: a raw bounded
/// <see cref="Channel{T}"/> pump per listener (the practical ceiling for one hop through a channel), the same two
/// hops the manager makes with raw channels and nothing else (ingress, one fan-out pump, a channel and pump per
/// listener), and a System.Reactive <see cref="Subject{T}"/> (synchronous, unbounded, no isolation).
/// </summary>
/// <remarks>
/// Thread scheduling on a small machine makes single runs bimodal, so the median is shown beside the mean and
/// <c>Program</c> runs each case in three processes.
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
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
    private Channel<WebSocketEvent> _ingress = null!;
    private Task[] _twoHopPumps = null!;
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

        _ingress = Channel.CreateBounded<WebSocketEvent>(new BoundedChannelOptions(Capacity) { SingleReader = true });
        var outlets = new Channel<WebSocketEvent>[Listeners];
        _twoHopPumps = new Task[Listeners + 1];
        for (var i = 0; i < Listeners; i++)
        {
            var outlet = Channel.CreateBounded<WebSocketEvent>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true });
            outlets[i] = outlet;
            _twoHopPumps[i] = Task.Run(async () =>
            {
                var seen = 0;
                while (await outlet.Reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    while (outlet.Reader.TryRead(out _))
                    {
                        if (++seen % Events == 0)
                        {
                            _done.Signal();
                        }
                    }
                }
            });
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

        _ingress.Writer.Complete();
        Task.WaitAll(_pumps);
        Task.WaitAll(_twoHopPumps);
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

    /// <summary>The manager's two hops with raw channels and none of its work: the ceiling of this architecture.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public void RawTwoHopPump()
    {
        foreach (var evt in _events)
        {
            if (!_ingress.Writer.TryWrite(evt))
            {
                _ingress.Writer.WriteAsync(evt).AsTask().GetAwaiter().GetResult();
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
