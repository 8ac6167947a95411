using BenchmarkDotNet.Attributes;
using StackExchange.Redis;

namespace EventManager.Benchmarks.Redis;

/// <summary>
/// Cross-instance throughput: one operation is one event published on instance A and delivered to a listener on
/// instance B through a real redis-server. The baseline does the same with bare StackExchange.Redis: a pipelined
/// PUBLISH of the same JSON bytes on one connection and a subscriber on another that counts what arrives.
/// </summary>
[MemoryDiagnoser]
public class RedisMirrorBenchmarks
{
    private const int EventsPerInvocation = 10_000;

    private LocalRedis _server = null!;
    private MirroredPair _pair = null!;
    private ConnectionMultiplexer _rawPublisher = null!;
    private ConnectionMultiplexer _rawSubscriber = null!;
    private RedisChannel _rawChannel;
    private byte[] _payload = null!;
    private Task<long>[] _writes = null!;
    private long _rawReceived;
    private long _rawTarget = long.MaxValue;
    private TaskCompletionSource _rawReached = new();

    // Synchronous on purpose: BenchmarkDotNet 0.14's in-process toolchain, which CI's dry run uses, does not await an async setup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _server = LocalRedis.Start();
        _pair = await MirroredPair.StartAsync(_server.Configuration);
        _rawPublisher = await ConnectionMultiplexer.ConnectAsync(_server.Configuration);
        _rawSubscriber = await ConnectionMultiplexer.ConnectAsync(_server.Configuration);
        _rawChannel = new RedisChannel("raw:" + Guid.NewGuid().ToString("N"), RedisChannel.PatternMode.Literal);
        await _rawSubscriber.GetSubscriber().SubscribeAsync(_rawChannel, (_, _) =>
        {
            if (Interlocked.Increment(ref _rawReceived) >= Volatile.Read(ref _rawTarget))
            {
                _rawReached.TrySetResult();
            }
        });
        while (_rawSubscriber.GetSubscriber().SubscribedEndpoint(_rawChannel) is null)
        {
            await Task.Delay(10);
        }

        var sample = new AgentMessageEvent("agent-1", "cognitive_psychologist", "The network is converging on a shared view.", new Sentiment(0.4, SentimentLabel.Positive));
        _pair.A.Publish(sample);
        await _pair.ExpectMore(1);
        _payload = sample.ToUtf8Json().ToArray();
        _writes = new Task<long>[EventsPerInvocation];
    }

    private async Task CleanupAsync()
    {
        await _pair.DisposeAsync();
        _rawPublisher.Dispose();
        _rawSubscriber.Dispose();
        _server.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = EventsPerInvocation)]
    public async Task RawStackExchangeRedisPubSub()
    {
        _rawReached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _rawTarget, Interlocked.Read(ref _rawReceived) + EventsPerInvocation);
        var publisher = _rawPublisher.GetSubscriber();
        for (var i = 0; i < EventsPerInvocation; i++)
        {
            _writes[i] = publisher.PublishAsync(_rawChannel, _payload);
        }

        await Task.WhenAll(_writes);
        await _rawReached.Task;
    }

    [Benchmark(OperationsPerInvoke = EventsPerInvocation)]
    public async Task MirroredManagers()
    {
        var arrived = _pair.ExpectMore(EventsPerInvocation);
        for (var i = 0; i < EventsPerInvocation; i++)
        {
            _pair.A.BroadcastAgentMessage("agent-1", "cognitive_psychologist", "The network is converging on a shared view.", new Sentiment(0.4, SentimentLabel.Positive));
        }

        await arrived;
    }
}
