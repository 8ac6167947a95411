using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using StackExchange.Redis;

namespace EventManager.Soak;

/// <summary>
/// What Redis acknowledged: reads the shared-history stream, to which the mirrors' publish script appends each event in the
/// same step as it publishes it, and records each publisher's numbers and when Redis took each one. Redis keeps what it
/// acknowledged across its kills (see <see cref="RedisProcess"/>), so an event a receiving instance lacks but the stream
/// has was lost after Redis took it, and an event the stream lacks never reached Redis.
/// </summary>
internal sealed class AcknowledgedEvents(string configuration, string channel, int publishers) : IAsyncDisposable
{
    private const int ReadCount = 5_000;

    // The stream's documented key (docs/replay.md, "Across instances"), read as any outside reader would.
    private readonly RedisKey _stream = "{" + channel + "}:history";
    private readonly CancellationTokenSource _stop = new();

    // Set by every message on the channel: the publish script appended to the stream. One slot, so a burst of messages is
    // one wake-up; the reader also reads when none came for a while, e.g. while its subscription is renewed after a kill.
    private readonly Channel<bool> _appended = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    // Per publisher, by event number: when Redis appended it, in Unix milliseconds on Redis's clock (the stream entry's
    // id), or 0 for a number not (yet) seen. Only the reading loop writes; read after it has stopped.
    private readonly List<long>[] _appendedAt = [.. Enumerable.Range(0, publishers).Select(_ => new List<long>())];
    private Task _reading = Task.CompletedTask;

    /// <summary>The numbers the stream holds, as a receiver's <see cref="Soak.Tracker"/>.</summary>
    public Tracker Tracker { get; } = new(publishers);

    /// <summary>Reads that failed while Redis was down; the reader retries, so some are expected around each kill.</summary>
    public long ReadFailures { get; private set; }

    /// <summary>Connects and starts reading the stream from its beginning.</summary>
    public async Task StartAsync()
    {
        var redis = await ConnectionMultiplexer.ConnectAsync(configuration + ",abortConnect=false");
        await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(channel), (_, _) => _appended.Writer.TryWrite(true));
        _reading = Task.Run(() => ReadAsync(redis));
    }

    /// <summary>When Redis appended number <paramref name="n"/> of <paramref name="publisher"/> (Unix ms), if it did; only after <see cref="StopAsync"/>.</summary>
    public long? AppendedAt(int publisher, long n) =>
        n < _appendedAt[publisher].Count && _appendedAt[publisher][(int)n] > 0 ? _appendedAt[publisher][(int)n] : null;

    /// <summary>Stops reading.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _reading;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task ReadAsync(ConnectionMultiplexer redis)
    {
        await using var owned = redis;
        var after = "0-0";
        while (!_stop.IsCancellationRequested)
        {
            StreamEntry[] entries;
            try
            {
                // Exclusive start: the entries after the last one read. The stream is trimmed to the history's length,
                // tens of seconds of publishing, so reading at least once a second never falls behind the trim.
                entries = await redis.GetDatabase().StreamRangeAsync(_stream, minId: "(" + after, count: ReadCount);
            }
            catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
            {
                ReadFailures++;
                entries = [];
            }

            foreach (var entry in entries)
            {
                after = entry.Id!;
                using var document = JsonDocument.Parse((string)entry["json"]!);
                Record(document.RootElement, long.Parse(after.AsSpan(0, after.IndexOf('-')), CultureInfo.InvariantCulture));
            }

            // StackExchange.Redis has no blocking XREAD (it would hold its one shared connection): wait for a message on the
            // channel instead, at most a second.
            if (entries.Length < ReadCount)
            {
                try
                {
                    await _appended.Reader.WaitToReadAsync(_stop.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(1), _stop.Token);
                    _appended.Reader.TryRead(out _);
                }
                catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
                {
                    // Stopping, or a quiet second: read anyway.
                }
            }
        }
    }

    private void Record(JsonElement evt, long appendedAt)
    {
        Tracker.Record(evt);
        if (evt.GetProperty("event_type").GetString() != "soak.tick")
        {
            return;
        }

        var data = evt.GetProperty("data");
        var times = _appendedAt[data.GetProperty("p").GetInt32()];
        var n = (int)data.GetProperty("n").GetInt64();
        while (times.Count <= n)
        {
            times.Add(0);
        }

        // A resent event appears twice; the first append is when Redis took it.
        if (times[n] == 0)
        {
            times[n] = appendedAt;
        }
    }
}
