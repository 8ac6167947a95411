using System.Runtime.InteropServices;
using EventManager.Redis.Diagnostics;
using StackExchange.Redis;

namespace EventManager.Redis;

public sealed partial class RedisEventMirror
{
    // Subscribers that received the last write on the main channel, us included; -1 until a write has succeeded.
    private long _expectedReceivers = -1;
    private long _publishedBeforeStop = long.MaxValue;

    /// <summary>
    /// Takes local events from the mirror's listener and writes them in batches: whatever is queued, up to the batch size, goes
    /// out in one pipelined write, so under load a batch fills while the previous one is in flight and when idle nothing waits.
    /// </summary>
    private async Task RunOutboundAsync()
    {
        var batch = new WebSocketEvent[_maxBatchSize];
        var writes = new Task<long>[_maxBatchSize];
        var count = 0;
        var batchStarted = 0L;
        var sendNow = false;
        CancellationTokenSource? lingering = null;
        Task? lingerDelay = null;
        Task<bool>? ready = null;
        try
        {
            while (!_abort.IsCancellationRequested)
            {
                if (_outbound.TryRead(out var evt))
                {
                    if (count == 0)
                    {
                        batchStarted = _time.GetTimestamp();
                    }

                    batch[count++] = evt;
                    Interlocked.Increment(ref _unsent);
                    sendNow |= _immediateTypes?.Matches(evt.EventType) == true;
                    if (count == _maxBatchSize)
                    {
                        EndLinger(ref lingering, ref lingerDelay);
                        await SendAsync(batch, writes, count).ConfigureAwait(false);
                        count = 0;
                        sendNow = false;
                    }

                    continue;
                }

                // Nothing queued at this moment. One wait for the next event at a time: the subscription has a single reader.
                if (ready is null || ready.IsCompleted)
                {
                    if (ready is { IsCompletedSuccessfully: true, Result: false })
                    {
                        break;
                    }

                    ready = _outbound.WaitToReadAsync(_abort.Token).AsTask();
                }

                if (count > 0 && !sendNow && _maxBatchDelay > TimeSpan.Zero && !_stopping.Task.IsCompleted)
                {
                    var remaining = _maxBatchDelay - _time.GetElapsedTime(batchStarted);
                    if (remaining > TimeSpan.Zero)
                    {
                        // One timer per batch, cancelled when the batch goes out, not one per event that arrives meanwhile.
                        lingering ??= CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
                        lingerDelay ??= Task.Delay(remaining, _time, lingering.Token);
                        await Task.WhenAny(ready, lingerDelay, _stopping.Task).ConfigureAwait(false);
                        continue;
                    }
                }

                if (count > 0)
                {
                    EndLinger(ref lingering, ref lingerDelay);
                    await SendAsync(batch, writes, count).ConfigureAwait(false);
                    count = 0;
                    sendNow = false;
                    continue;
                }

                if (_stopping.Task.IsCompleted)
                {
                    if (!DispatchedEverythingPublishedBeforeStop())
                    {
                        await Task.Yield();
                        continue;
                    }

                    if (_outbound.Pending > 0)
                    {
                        continue;
                    }

                    // Stopping and nothing queued: what is dispatched from now on is not mirrored.
                    _acceptingOutbound = false;
                    return;
                }

                if (IsCatchingUp())
                {
                    SetFlags(catchingUp: false);
                }

                await Task.WhenAny(ready, _stopping.Task).ConfigureAwait(false);
            }

            if (count > 0)
            {
                await SendAsync(batch, writes, count).ConfigureAwait(false);
            }
        }
        finally
        {
            EndLinger(ref lingering, ref lingerDelay);
        }
    }

    /// <summary>
    /// An event published before the stop may still be in the manager's ingress queue; it must reach this listener (to be
    /// sent or counted) before the filter closes, or it would be neither.
    /// </summary>
    private bool DispatchedEverythingPublishedBeforeStop()
    {
        var metrics = _manager.GetMetrics();
        return metrics.Dispatched >= Volatile.Read(ref _publishedBeforeStop) || metrics.QueueDepth == 0;
    }

    private static void EndLinger(ref CancellationTokenSource? lingering, ref Task? lingerDelay)
    {
        if (lingering is not null)
        {
            lingering.Cancel();
            lingering.Dispose();
            lingering = null;
            lingerDelay = null;
        }
    }

    /// <summary>
    /// Writes the batch in order, retrying from the first failed write until every event is sent or stopping gives up. Writes
    /// after a failed one are sent again too, which keeps order; receivers skip the copies by event id.
    /// </summary>
    private async Task SendAsync(WebSocketEvent[] batch, Task<long>[] writes, int count)
    {
        var sent = 0;
        var failures = 0;
        while (sent < count)
        {
            if (_abort.IsCancellationRequested)
            {
                Interlocked.Add(ref _abandoned, count - sent);
                Interlocked.Add(ref _unsent, sent - count);
                break;
            }

            if (_connection?.IsConnected != true)
            {
                SetFlags(catchingUp: true);
                await WaitAsync(_retryInterval).ConfigureAwait(false);
                continue;
            }

            if (IsCatchingUp())
            {
                await AwaitPeersAsync().ConfigureAwait(false);
            }

            for (var i = sent; i < count; i++)
            {
                writes[i] = Write(batch[i]);
            }

            if (!await AllCompletedAsync(writes, sent, count).ConfigureAwait(false))
            {
                Interlocked.Add(ref _abandoned, count - sent);
                Interlocked.Add(ref _unsent, sent - count);
                break;
            }

            var failedAt = -1;
            Exception? failure = null;
            for (var i = sent; i < count; i++)
            {
                try
                {
                    var receivers = await writes[i].ConfigureAwait(false);
                    if (failedAt < 0 && (_sessionChannelPrefix is null || batch[i].SessionId is null))
                    {
                        Volatile.Write(ref _expectedReceivers, receivers);
                    }
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
                {
                    if (failedAt < 0)
                    {
                        failedAt = i;
                        failure = ex;
                    }
                }
            }

            var written = (failedAt < 0 ? count : failedAt) - sent;
            Interlocked.Add(ref _mirroredOut, written);
            Interlocked.Add(ref _unsent, -written);
            sent += written;
            if (failure is not null)
            {
                Interlocked.Increment(ref _redisErrors);
                if (failures++ == 0)
                {
                    Log.WriteFailed(_logger, failure, count - sent);
                }

                SetFlags(catchingUp: true, writeFailing: true);
                await WaitAsync(_retryInterval).ConfigureAwait(false);
            }
            else if (failures > 0)
            {
                SetFlags(writeFailing: false);
            }
        }

        Array.Clear(batch, 0, count);
        Array.Clear(writes, 0, count);
    }

    /// <summary>Waits for the writes to finish, failed or not; false when stopping gave up first, so a hung connection cannot hang the stop.</summary>
    private async Task<bool> AllCompletedAsync(Task<long>[] writes, int from, int to)
    {
        try
        {
            await Task.WhenAll(new ArraySegment<Task<long>>(writes, from, to - from)).WaitAsync(_abort.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Each write's outcome is read below.
        }

        return true;
    }

    private Task<long> Write(WebSocketEvent evt)
    {
        try
        {
            var channel = _sessionChannelPrefix is not null && evt.SessionId is not null
                ? new RedisChannel(_sessionChannelPrefix + evt.SessionId, RedisChannel.PatternMode.Literal)
                : _channel;
            return _sharedHistory ? WriteWithHistoryAsync(channel, Payload(evt), evt.EventId) : _subscriber!.PublishAsync(channel, Payload(evt));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            return Task.FromException<long>(ex);
        }
    }

    /// <summary>The event's cached UTF-8 JSON, the same bytes every local socket sends, without a copy when it is a whole array.</summary>
    private static byte[] Payload(WebSocketEvent evt)
    {
        var json = evt.ToUtf8Json();
        return MemoryMarshal.TryGetArray(json, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : json.ToArray();
    }

    private bool IsCatchingUp()
    {
        lock (_healthGate)
        {
            return _catchingUp;
        }
    }

    /// <summary>
    /// After an outage, holds the buffered events until as many clients are subscribed to the channel as received this
    /// instance's last write before it (or, when nothing was ever written, one besides this instance), so the other instances
    /// are back before the backlog goes out. Gives up after <see cref="RedisMirrorOptions.ReconnectGracePeriod"/>, as an
    /// instance that has gone for good never returns.
    /// </summary>
    private async Task AwaitPeersAsync()
    {
        var last = Volatile.Read(ref _expectedReceivers);
        var expected = last < 0 ? 2 : last;
        if (expected <= 1 || _reconnectGracePeriod == TimeSpan.Zero)
        {
            return;
        }

        var started = _time.GetTimestamp();
        long subscribed = 0;
        while (!_abort.IsCancellationRequested && _time.GetElapsedTime(started) < _reconnectGracePeriod)
        {
            try
            {
                // The async form: the synchronous IdentifyEndpoint waits for Redis on a thread-pool thread, which the soak
                // caught starving the pool during reconnects.
                var endpoint = await _subscriber!.IdentifyEndpointAsync(_channel).ConfigureAwait(false) ?? _connection!.GetEndPoints()[0];
                var server = _connection!.GetServer(endpoint);
                subscribed = await server.SubscriptionSubscriberCountAsync(_channel).ConfigureAwait(false);
                if (subscribed >= expected)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                Interlocked.Increment(ref _redisErrors);
            }

            await WaitAsync(TimeSpan.FromMilliseconds(20)).ConfigureAwait(false);
        }

        Log.PeersDidNotReturn(_logger, expected, subscribed, _reconnectGracePeriod);
        Volatile.Write(ref _expectedReceivers, subscribed);
    }
}
