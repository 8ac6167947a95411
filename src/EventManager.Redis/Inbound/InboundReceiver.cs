using System.Text.Json;
using System.Threading.Channels;
using EventManager.Redis.Diagnostics;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace EventManager.Redis;

/// <summary>
/// The inbound side: takes each message from StackExchange.Redis's reader into a bounded queue, and one loop parses it and
/// publishes it to the local manager with its origin, id and timestamp, skipping this instance's own events coming back,
/// events seen moments before (by id) and malformed messages (counted, and logged at most once a second at Warning).
/// </summary>
internal sealed class InboundReceiver
{
    private static readonly TimeSpan MalformedWarningInterval = TimeSpan.FromSeconds(1);

    private readonly WebSocketEventManager _manager;
    private readonly MirrorCounters _counters;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly RedisChannel _channel;
    private readonly string _channelName;
    private readonly string _instanceId;
    private readonly byte[] _instanceIdUtf8;
    private readonly int _maxMessageBytes;
    private readonly Channel<byte[]> _queue;

    // The inbound loop only.
    private readonly RecentEventIds _recentEventIds;

    // Any reader thread.
    private long _lastMalformedWarning = long.MinValue;

    public InboundReceiver(WebSocketEventManager manager, RedisMirrorOptions options, RedisChannel channel, MirrorCounters counters, ILogger logger)
    {
        _manager = manager;
        _counters = counters;
        _logger = logger;
        _time = manager.TimeProvider;
        _channel = channel;
        _channelName = channel.ToString();
        _instanceId = manager.InstanceId;
        _instanceIdUtf8 = System.Text.Encoding.UTF8.GetBytes(manager.InstanceId);
        _maxMessageBytes = options.MaxMessageBytes;
        _recentEventIds = new RecentEventIds(Math.Max(16_384, 4 * options.MaxBatchSize));
        _queue = Channel.CreateBounded<byte[]>(
            new BoundedChannelOptions(options.InboundBufferSize) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref counters.InboundDropped));
    }

    /// <summary>
    /// Called by StackExchange.Redis on its reader for each message: checks the size and queues the bytes, so a slow parse or
    /// a busy manager never holds up the connection.
    /// </summary>
    public void OnMessage(RedisChannel channel, RedisValue message)
    {
        byte[]? bytes = message;
        if (bytes is null || bytes.Length == 0)
        {
            RejectInbound(channel, "the message is empty");
            return;
        }

        if (bytes.Length > _maxMessageBytes)
        {
            RejectInbound(channel, $"the message is {bytes.Length} bytes, over the limit of {_maxMessageBytes}");
            return;
        }

        _queue.Writer.TryWrite(bytes);
    }

    /// <summary>Delivers what was received to the local manager, in order, until the queue is completed or stopping aborts.</summary>
    public async Task RunAsync(CancellationToken abort)
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(abort).ConfigureAwait(false))
            {
                while (reader.TryRead(out var bytes))
                {
                    try
                    {
                        await ReceiveAsync(bytes, abort).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not (OperationCanceledException or ObjectDisposedException))
                    {
                        // A message that slips past the parser's checks is a bug of ours, but it must not end the subscription
                        // for every message after it: count it, report it at Error, and go on.
                        Interlocked.Increment(ref _counters.Malformed);
                        Log.InboundFailed(_logger, ex, _channel.ToString());
                    }
                }
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            // Stopping gave up waiting; what is still queued was received but not delivered.
        }
        catch (ObjectDisposedException)
        {
            // The manager stopped; nothing more can be delivered locally.
        }
    }

    /// <summary>No more messages: the loop ends once it has delivered what it holds.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    private async ValueTask ReceiveAsync(byte[] bytes, CancellationToken abort)
    {
        if (IsOwnEcho(bytes))
        {
            Interlocked.Increment(ref _counters.Echoes);
            return;
        }

        WebSocketEvent evt;
        try
        {
            evt = WebSocketEvent.Parse(bytes);
        }
        catch (EventFormatException ex)
        {
            RejectInbound(_channel, ex.Message);
            return;
        }

        if (string.Equals(evt.OriginId, _instanceId, StringComparison.Ordinal))
        {
            // Our id but not where IsOwnEcho looks, e.g. written by another client: still ours, still not delivered twice.
            Interlocked.Increment(ref _counters.Echoes);
            return;
        }

        if (!_recentEventIds.TryAdd(evt.EventId))
        {
            Interlocked.Increment(ref _counters.Duplicates);
            return;
        }

        // Started from the event as received, before any copy below (a copy carries no trace context): the local publish span,
        // and so the handlers', join the sender's trace under this one.
        using var receive = MirrorTracing.StartReceive(_channelName, evt);

        if (evt.OriginId is null)
        {
            // Without an origin the local manager would stamp its own, and the event would go back out as if it were ours.
            evt = evt with { OriginId = RedisMirrorOptions.ExternalOriginId, EventId = evt.EventId };
        }

        if (InjectedFault.MirrorDrop && Volatile.Read(ref _counters.MirroredIn) % 1_000 == 999)
        {
            Interlocked.Increment(ref _counters.MirroredIn);
            return;
        }

        await _manager.PublishAsync(evt, abort).ConfigureAwait(false);

        Interlocked.Increment(ref _counters.MirroredIn);
    }

    /// <summary>
    /// Every instance receives each of its own events back, so this is half the inbound traffic: read only the top-level
    /// fields up to <c>origin_id</c> (which this library writes before <c>data</c>) instead of parsing the event.
    /// </summary>
    private bool IsOwnEcho(byte[] bytes)
    {
        try
        {
            var reader = new Utf8JsonReader(bytes);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("origin_id"u8))
                {
                    return reader.Read() && reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(_instanceIdUtf8);
                }

                if (!reader.Read() || !reader.TrySkip())
                {
                    return false;
                }
            }

            return false;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Not valid JSON, or a property name with an unpaired surrogate escape (which the reader reports only when it
            // compares the name): the full parse reports it.
            return false;
        }
    }

    private void RejectInbound(RedisChannel channel, string reason)
    {
        var total = Interlocked.Increment(ref _counters.Malformed);
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastMalformedWarning);
        if ((last == long.MinValue || _time.GetElapsedTime(last, now) >= MalformedWarningInterval)
            && Interlocked.CompareExchange(ref _lastMalformedWarning, now, last) == last)
        {
            Log.MalformedInbound(_logger, channel.ToString(), reason, total);
        }
        else
        {
            Log.MalformedInboundDetail(_logger, channel.ToString(), reason, total);
        }
    }
}
