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

    public static async Task<MirroredPair> StartAsync(string configuration)
    {
        var pair = new MirroredPair(new WebSocketEventManager(), new WebSocketEventManager());
        var channel = "bench:" + Guid.NewGuid().ToString("N");
        pair.B.AddListener(pair.OnReceived);
        pair.MirrorA = await RedisEventMirror.StartAsync(pair.A, new RedisMirrorOptions { Configuration = configuration, Channel = channel });
        pair.MirrorB = await RedisEventMirror.StartAsync(pair.B, new RedisMirrorOptions { Configuration = configuration, Channel = channel });
        return pair;
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
