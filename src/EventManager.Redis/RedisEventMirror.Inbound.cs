using System.Text.Json;
using EventManager.Redis.Diagnostics;
using StackExchange.Redis;

namespace EventManager.Redis;

public sealed partial class RedisEventMirror
{
    private static readonly TimeSpan MalformedWarningInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Called by StackExchange.Redis on its reader for each message: checks the size and queues the bytes, so a slow parse or
    /// a busy manager never holds up the connection.
    /// </summary>
    private void OnMessage(RedisChannel channel, RedisValue message)
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

        _inbound.Writer.TryWrite(bytes);
    }

    private async Task RunInboundAsync()
    {
        var reader = _inbound.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_abort.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var bytes))
                {
                    try
                    {
                        await ReceiveAsync(bytes).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not (OperationCanceledException or ObjectDisposedException))
                    {
                        // A message that slips past the parser's checks is a bug of ours, but it must not end the subscription
                        // for every message after it: count it, report it at Error, and go on.
                        Interlocked.Increment(ref _malformed);
                        Log.InboundFailed(_logger, ex, _channel.ToString());
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Stopping gave up waiting; what is still queued was received but not delivered.
        }
        catch (ObjectDisposedException)
        {
            // The manager stopped; nothing more can be delivered locally.
        }
    }

    private async ValueTask ReceiveAsync(byte[] bytes)
    {
        if (IsOwnEcho(bytes))
        {
            Interlocked.Increment(ref _echoes);
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

        if (string.Equals(evt.OriginId, InstanceId, StringComparison.Ordinal))
        {
            // Our id but not where IsOwnEcho looks, e.g. written by another client: still ours, still not delivered twice.
            Interlocked.Increment(ref _echoes);
            return;
        }

        if (!_recentEventIds.TryAdd(evt.EventId))
        {
            Interlocked.Increment(ref _duplicates);
            return;
        }

        if (evt.OriginId is null)
        {
            // Without an origin the local manager would stamp its own, and the event would go back out as if it were ours.
            evt = evt with { OriginId = RedisMirrorOptions.ExternalOriginId, EventId = evt.EventId };
        }

        await _manager.PublishAsync(evt, _abort.Token).ConfigureAwait(false);
        Interlocked.Increment(ref _mirroredIn);
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
        var total = Interlocked.Increment(ref _malformed);
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
