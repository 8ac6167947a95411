using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace EventManager.Benchmarks;

/// <summary>
/// The seed's API as its users call it: each operation builds one event with a <c>Broadcast</c> helper (or
/// <see cref="CustomEvent.Create(string, object?)"/>) and publishes it, with default options, to one listener that counts.
/// Events go out in rounds of <see cref="Round"/>, each awaited until the listener has it, and every event is delivered
/// (checked). <c>Allocated</c> includes the event itself; the caller's arguments (the metadata dictionary, the lists) are
/// made once and reused, as a caller may. Baseline in the same run: a raw bounded <see cref="Channel{T}"/> and reader loop
/// handed one ready-made event, the ceiling of any hand-off between two threads.
/// </summary>
[MemoryDiagnoser]
public class SeedApiBenchmarks
{
    private const int Round = 50_000;
    private const int Rounds = 4;
    private const int Events = Round * Rounds;

    private static readonly WebSocketEvent Reused = new AgentMessageEvent("agent_1", "CognitivePsychologist", "hello");
    private static readonly Sentiment Positive = new(0.75, SentimentLabel.Positive);
    private static readonly Dictionary<string, object?> Metadata = new() { ["interaction_count"] = 5 };
    private static readonly Dictionary<string, double> Figures = new() { ["cpu_percent"] = 45.2, ["memory_percent"] = 62.1 };
    private static readonly NetworkConnection[] Connections =
    [
        new("agent_1", "agent_2", 0.8, isActive: true, ConnectionType.Normal),
        new("agent_2", "agent_3", 0.5, isActive: true, ConnectionType.Normal),
        new("agent_3", "agent_1", 0.2, isActive: false, ConnectionType.Emergency),
    ];

    private WebSocketEventManager _manager = null!;
    private Channel<WebSocketEvent> _channel = null!;
    private Task _pump = null!;
    private RoundSignal _rounds = null!;

    [GlobalSetup]
    public void Setup()
    {
        _rounds = new RoundSignal(Round);
        _manager = new WebSocketEventManager();
        var seen = 0;
        _manager.AddListener(_ => _rounds.Counted(ref seen));
        _channel = Channel.CreateBounded<WebSocketEvent>(new BoundedChannelOptions(EventManagerOptions.DefaultIngressCapacity) { SingleReader = true, SingleWriter = true });
        _pump = _rounds.Pump(_channel);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _manager.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _channel.Writer.Complete();
        _pump.GetAwaiter().GetResult();
        _rounds.Dispose();
        var dropped = _manager.GetMetrics().Dropped;
        if (dropped != 0)
        {
            throw new InvalidOperationException($"The manager dropped {dropped} events; every event must be delivered.");
        }
    }

    /// <summary>The ceiling of a hand-off: one ready-made event written to a bounded channel and read by a loop.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public void RawChannelPump() => Run(() =>
    {
        if (!_channel.Writer.TryWrite(Reused))
        {
            _channel.Writer.WriteAsync(Reused).AsTask().GetAwaiter().GetResult();
        }
    });

    /// <summary><c>broadcast_agent_message</c> with a one-entry metadata dictionary, as the Python original's users call it.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public void BroadcastAgentMessageWithMetadata() =>
        Run(() => _manager.BroadcastAgentMessage("agent_1", "CognitivePsychologist", "I believe we should explore...", Positive, Metadata));

    /// <summary><c>broadcast_agent_message</c> without metadata.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public void BroadcastAgentMessage() =>
        Run(() => _manager.BroadcastAgentMessage("agent_1", "CognitivePsychologist", "I believe we should explore...", Positive));

    /// <summary><c>broadcast_system_status</c> with the two required figures.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public void BroadcastSystemStatus() =>
        Run(() => _manager.BroadcastSystemStatus(SystemHealthStatus.Healthy, Figures, activeAgents: 5, errorCount: 0));

    /// <summary><c>broadcast_network_update</c> with three connections.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public void BroadcastNetworkUpdate() =>
        Run(() => _manager.BroadcastNetworkUpdate(Connections, eventType: "message_sent"));

    /// <summary>A custom event whose data is an anonymous object, serialised by reflection.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public void CustomEventCreate() =>
        Run(() => _manager.Publish(CustomEvent.Create("session.connected", new { user = "ada", attempt = 1 })));

    private void Run(Action publishOne)
    {
        for (var round = 0; round < Rounds; round++)
        {
            for (var i = 0; i < Round; i++)
            {
                publishOne();
            }

            _rounds.Await(1);
        }
    }
}
