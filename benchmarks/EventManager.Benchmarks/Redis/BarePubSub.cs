using System.Diagnostics;
using StackExchange.Redis;

namespace EventManager.Benchmarks.Redis;

/// <summary>
/// The report's baseline for cross-instance figures: bare StackExchange.Redis, the same JSON bytes PUBLISHed on one
/// connection without waiting for each reply and read on another through the ordered subscription queue the mirror uses,
/// with nothing parsed or delivered. Its latency shows what the client library and the machine cost before any of ours.
/// </summary>
internal sealed class BarePubSub : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _publisher;
    private readonly ConnectionMultiplexer _subscriber;
    private readonly RedisChannel _channel;
    private readonly byte[] _payload;
    private long[] _sentAt = [];
    private double[]? _ages;
    private long _received;
    private long _target = long.MaxValue;
    private TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private BarePubSub(ConnectionMultiplexer publisher, ConnectionMultiplexer subscriber, RedisChannel channel, byte[] payload)
    {
        _publisher = publisher;
        _subscriber = subscriber;
        _channel = channel;
        _payload = payload;
    }

    public static async Task<BarePubSub> StartAsync(string configuration, byte[] payload)
    {
        var publisher = await ConnectionMultiplexer.ConnectAsync(configuration);
        var subscriber = await ConnectionMultiplexer.ConnectAsync(configuration);
        var bare = new BarePubSub(publisher, subscriber, RedisChannel.Literal("bare:" + Guid.NewGuid().ToString("N")), payload);
        (await subscriber.GetSubscriber().SubscribeAsync(bare._channel)).OnMessage(_ => bare.OnReceived());
        return bare;
    }

    /// <summary>Publishes <paramref name="events"/> messages as fast as they can be written; returns messages received per second.</summary>
    public async Task<double> SaturateAsync(int events)
    {
        var arrived = ExpectMore(events);
        var publisher = _publisher.GetSubscriber();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < events; i++)
        {
            _ = publisher.PublishAsync(_channel, _payload, CommandFlags.FireAndForget);
        }

        await arrived.WaitAsync(TimeSpan.FromMinutes(2));
        return events / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Publishes <paramref name="total"/> messages at <paramref name="perSecond"/>; returns each one's age on arrival in milliseconds, sorted.</summary>
    public async Task<double[]> MeasureLatencyAsync(int total, int perSecond)
    {
        _sentAt = new long[total];
        _ages = new double[total];
        var arrived = ExpectMore(total);
        var publisher = _publisher.GetSubscriber();
        var sent = 0;
        await FixedRatePublisher.RunAsync(total, perSecond, () =>
        {
            _sentAt[sent++] = Stopwatch.GetTimestamp();
            _ = publisher.PublishAsync(_channel, _payload, CommandFlags.FireAndForget);
        });
        await arrived.WaitAsync(TimeSpan.FromMinutes(1));
        var ages = _ages;
        _ages = null;
        Array.Sort(ages);
        return ages;
    }

    public async ValueTask DisposeAsync()
    {
        await _publisher.DisposeAsync();
        await _subscriber.DisposeAsync();
    }

    /// <summary>Counts from zero again, between phases, once everything of the last has arrived.</summary>
    private Task ExpectMore(long count)
    {
        _reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _received = 0;
        Volatile.Write(ref _target, count);
        return _reached.Task;
    }

    /// <summary>One message at a time, in publish order: the n-th received since <see cref="ExpectMore"/> is the n-th sent.</summary>
    private void OnReceived()
    {
        var index = _received++;
        if (_ages is { } ages && index < ages.Length)
        {
            ages[index] = Stopwatch.GetElapsedTime(_sentAt[index]).TotalMilliseconds;
        }

        if (index + 1 >= Volatile.Read(ref _target))
        {
            _reached.TrySetResult();
        }
    }
}
