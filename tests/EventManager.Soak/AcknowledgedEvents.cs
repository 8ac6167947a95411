using System.Text.Json;
using StackExchange.Redis;

namespace EventManager.Soak;

/// <summary>
/// What Redis acknowledged: reads the shared-history stream, to which the mirrors' publish script appends each event in the
/// same step as it publishes it, and records each publisher's numbers. Redis keeps what it acknowledged across its kills
/// (see <see cref="RedisProcess"/>), so an event a receiving instance lacks but the stream has was lost after Redis took
/// it, and an event the stream lacks never reached Redis.
/// </summary>
internal sealed class AcknowledgedEvents(string configuration, string channel, int publishers) : IAsyncDisposable
{
    private readonly RedisKey _stream = "{" + channel + "}:history";
    private readonly CancellationTokenSource _stop = new();
    private Task _reading = Task.CompletedTask;

    public Tracker Tracker { get; } = new(publishers);

    /// <summary>Read failures while Redis was down; the reader retries, so these are expected around each kill.</summary>
    public long ReadFailures { get; private set; }

    public async Task StartAsync()
    {
        var redis = await ConnectionMultiplexer.ConnectAsync(configuration + ",abortConnect=false");
        _reading = Task.Run(() => ReadAsync(redis));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reading;
        _stop.Dispose();
    }

    private async Task ReadAsync(ConnectionMultiplexer redis)
    {
        await using var _ = redis;
        var after = "0-0";
        while (!_stop.IsCancellationRequested)
        {
            StreamEntry[] entries;
            try
            {
                // Exclusive start: the entries after the last one read. The stream is trimmed to the history's length,
                // tens of seconds of publishing, so reading ten times a second never falls behind the trim.
                entries = await redis.GetDatabase().StreamRangeAsync(_stream, minId: "(" + after, count: 5_000);
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
                Tracker.Record(document.RootElement);
            }

            if (entries.Length < 5_000)
            {
                try
                {
                    await Task.Delay(100, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }
}
