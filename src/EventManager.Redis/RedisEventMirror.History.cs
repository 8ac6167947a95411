using StackExchange.Redis;

namespace EventManager.Redis;

public sealed partial class RedisEventMirror : ISharedEventHistory
{
    // XADD and PUBLISH in one script: the stream's order is then exactly the order in which every subscriber receives the
    // events. The epoch key is created with the stream's first entry and vanishes with it, so a deleted or reset stream
    // (such as a restarted server without persistence) comes back with a new epoch.
    private const string AppendScript = """
        redis.call('SET', KEYS[3], ARGV[4], 'NX')
        redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'id', ARGV[3], 'json', ARGV[1])
        return redis.call('PUBLISH', KEYS[1], ARGV[1])
        """;

    // Newest first, up to the whole stream: the entries after the one whose id matches, or false when it is not there.
    private const string AfterScript = """
        local entries = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', ARGV[2])
        local newer = {}
        for _, entry in ipairs(entries) do
          local fields = entry[2]
          local id, json
          for i = 1, #fields, 2 do
            if fields[i] == 'id' then id = fields[i + 1] elseif fields[i] == 'json' then json = fields[i + 1] end
          end
          if id == ARGV[1] then return newer end
          newer[#newer + 1] = json
        end
        return false
        """;

    private readonly string _proposedEpoch = Guid.CreateVersion7().ToString("N");
    private string? _epoch;

    /// <summary>The epoch of the shared stream when <see cref="RedisMirrorOptions.SharedHistory"/> is on and Redis has been reached; otherwise <see langword="null"/>.</summary>
    public string? Epoch => Volatile.Read(ref _epoch);

    private readonly RedisKey _historyKey;
    private readonly RedisKey _epochKey;

    /// <summary>Reads the shared stream for the events after <paramref name="eventId"/>; <see langword="null"/> when it is off, unreachable, or lacks the id.</summary>
    /// <param name="eventId">The id of the last event a client has.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The events after it, oldest first, or <see langword="null"/>.</returns>
    public async ValueTask<IReadOnlyList<WebSocketEvent>?> GetEventsAfterAsync(string eventId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        if (!_sharedHistory || _connection?.IsConnected != true)
        {
            return null;
        }

        RedisResult result;
        try
        {
            result = await _connection.GetDatabase().ScriptEvaluateAsync(AfterScript, [_historyKey], [eventId, _sharedHistoryLength * 2]).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Interlocked.Increment(ref _redisErrors);
            return null;
        }

        if (result.IsNull)
        {
            return null;
        }

        var entries = (RedisValue[])result!;
        var events = new List<WebSocketEvent>(entries.Length);
        for (var i = entries.Length - 1; i >= 0; i--)
        {
            try
            {
                events.Add(WebSocketEvent.Parse((byte[])entries[i]!));
            }
            catch (EventFormatException)
            {
                // Written by another client into our stream; it was skipped live as well.
            }
        }

        return events;
    }

    private async Task<long> WriteWithHistoryAsync(RedisChannel channel, byte[] payload, string eventId)
    {
        var result = await _connection!.GetDatabase().ScriptEvaluateAsync(
            AppendScript,
            [(string)channel!, _historyKey, _epochKey],
            [payload, _sharedHistoryLength, eventId, _proposedEpoch]).ConfigureAwait(false);
        return (long)result;
    }

    /// <summary>Reads the shared epoch, creating it when the stream is new; called on start and by the health loop, so a reset shows.</summary>
    private async Task RefreshEpochAsync()
    {
        if (!_sharedHistory || _connection?.IsConnected != true)
        {
            return;
        }

        try
        {
            var database = _connection.GetDatabase();
            await database.StringSetAsync(_epochKey, _proposedEpoch, when: When.NotExists).ConfigureAwait(false);
            var epoch = (string?)await database.StringGetAsync(_epochKey).ConfigureAwait(false);
            if (epoch is not null)
            {
                Volatile.Write(ref _epoch, epoch);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Interlocked.Increment(ref _redisErrors);
        }
    }
}
