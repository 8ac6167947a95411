using EventManager.Redis;

namespace EventManager.Benchmarks.Redis;

/// <summary>Two managers, each mirrored through its own connection to one server; B counts what arrives from A.</summary>
internal sealed class MirroredPair : IAsyncDisposable
{
    private long _received;
    private long _target = long.MaxValue;
    private TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private MirroredPair(WebSocketEventManager a, WebSocketEventManager b)
    {
        A = a;
        B = b;
    }

    public WebSocketEventManager A { get; }

    public WebSocketEventManager B { get; }

    public RedisEventMirror MirrorA { get; private set; } = null!;

    public RedisEventMirror MirrorB { get; private set; } = null!;

    /// <summary>Called on B for each event from A, with its age when it arrived.</summary>
    public Action<TimeSpan>? OnLatency { get; set; }

    /// <param name="configuration">The StackExchange.Redis configuration string.</param>
    /// <param name="configure">Changes from the default mirror options, such as the pub/sub mode or the shared history.</param>
    public static async Task<MirroredPair> StartAsync(string configuration, Action<RedisMirrorOptions>? configure = null)
    {
        var pair = new MirroredPair(new WebSocketEventManager(), new WebSocketEventManager());
        var channel = "bench:" + Guid.NewGuid().ToString("N");
        pair.B.AddListener(pair.OnReceived);
        pair.MirrorA = await RedisEventMirror.StartAsync(pair.A, Options(configuration, channel, configure));
        pair.MirrorB = await RedisEventMirror.StartAsync(pair.B, Options(configuration, channel, configure));
        return pair;
    }

    private static RedisMirrorOptions Options(string configuration, string channel, Action<RedisMirrorOptions>? configure)
    {
        var options = new RedisMirrorOptions { Configuration = configuration, Channel = channel };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>Completes when B has received <paramref name="count"/> more events from A.</summary>
    public Task ExpectMore(long count)
    {
        _reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _target, Interlocked.Read(ref _received) + count);
        return _reached.Task;
    }

    public async ValueTask DisposeAsync()
    {
        await MirrorA.DisposeAsync();
        await MirrorB.DisposeAsync();
        await A.DisposeAsync();
        await B.DisposeAsync();
    }

    private void OnReceived(WebSocketEvent evt)
    {
        OnLatency?.Invoke(TimeProvider.System.GetUtcNow() - evt.Timestamp);
        if (Interlocked.Increment(ref _received) >= Volatile.Read(ref _target))
        {
            _reached.TrySetResult();
        }
    }
}
