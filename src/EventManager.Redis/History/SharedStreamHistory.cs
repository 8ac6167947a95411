using EventManager.Redis.Diagnostics;
using StackExchange.Redis;

namespace EventManager.Redis;

/// <summary>
/// The shared history of <see cref="RedisMirrorOptions.SharedHistory"/>: a Redis stream every instance appends to in the same
/// script that publishes, read by a resume this instance's own history cannot serve, and an epoch key that changes when the
/// stream is lost.
/// </summary>
internal sealed class SharedStreamHistory(MirrorConnection connection, RedisMirrorOptions options, MirrorCounters counters)
{
    // XADD and PUBLISH (or SPUBLISH) in one script: the stream's order is then exactly the order in which every subscriber
    // receives the events. The epoch key is created with the stream's first entry and vanishes with it, so a deleted or reset
    // stream (such as a restarted server without persistence) comes back with a new epoch. Both keys carry the channel as
    // their hash tag, so on a cluster they share the slot of the channel itself, which a sharded publish from a script needs.
    private const string AppendScript = """
        redis.call('SET', KEYS[2], ARGV[4], 'NX')
        redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'id', ARGV[3], 'json', ARGV[1])
        return redis.call(ARGV[6], ARGV[5], ARGV[1])
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

    // The stream, then the epoch: the append script's keys, made once like the shared channel's name and the publish
    // command (StackExchange.Redis only reads them).
    private readonly RedisKey[] _appendKeys = ["{" + options.Channel + "}:history", "{" + options.Channel + "}:epoch"];
    private readonly RedisValue _sharedChannelName = options.Channel;
    private readonly RedisValue _publishCommand = connection.IsSharded ? "SPUBLISH" : "PUBLISH";
    private readonly int _length = options.SharedHistoryLength;
    private readonly string _proposedEpoch = Guid.CreateVersion7().ToString("N");

    private RedisKey HistoryKey => _appendKeys[0];

    private RedisKey EpochKey => _appendKeys[1];

    // Written by the health loop, read by any thread.
    private string? _epoch;

    /// <summary>The epoch of the shared stream once Redis has been reached; otherwise <see langword="null"/>.</summary>
    public string? Epoch => Volatile.Read(ref _epoch);

    /// <summary>Reads the stream for the events after <paramref name="eventId"/>; <see langword="null"/> when unreachable or it lacks the id.</summary>
    public async ValueTask<IReadOnlyList<WebSocketEvent>?> GetEventsAfterAsync(string eventId, CancellationToken cancellationToken)
    {
        if (!connection.IsConnected)
        {
            return null;
        }

        RedisResult result;
        try
        {
            result = await connection.Database.ScriptEvaluateAsync(AfterScript, [HistoryKey], [eventId, _length * 2]).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Interlocked.Increment(ref counters.RedisErrors);
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

    /// <summary>Appends the event to the stream and publishes it, in one script; returns the number of receivers.</summary>
    public async Task<long> AppendAndPublishAsync(RedisChannel channel, ReadOnlyMemory<byte> payload, string eventId)
    {
        var channelName = channel == connection.Channel ? _sharedChannelName : (RedisValue)(string)channel!;
        var result = await connection.Database.ScriptEvaluateAsync(
            AppendScript,
            _appendKeys,
            [payload, _length, eventId, _proposedEpoch, channelName, _publishCommand]).ConfigureAwait(false);
        return (long)result;
    }

    /// <summary>Reads the shared epoch, creating it when the stream is new; called on start and by the health loop, so a reset shows.</summary>
    public async Task RefreshEpochAsync()
    {
        if (!connection.IsConnected)
        {
            return;
        }

        try
        {
            var database = connection.Database;
            await database.StringSetAsync(EpochKey, _proposedEpoch, when: When.NotExists).ConfigureAwait(false);
            var epoch = (string?)await database.StringGetAsync(EpochKey).ConfigureAwait(false);
            if (epoch is not null)
            {
                Volatile.Write(ref _epoch, epoch);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Interlocked.Increment(ref counters.RedisErrors);
        }
    }
}
