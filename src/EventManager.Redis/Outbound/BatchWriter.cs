using EventManager.Redis.Diagnostics;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace EventManager.Redis;

/// <summary>
/// Writes one batch of the outbound loop to Redis, pipelined, in order, retrying from the first failed write until every event
/// is sent or stopping gives up; after an outage it first waits for the other instances to be back. Used by that loop only.
/// </summary>
internal sealed class BatchWriter(RedisMirrorOptions options, MirrorConnection connection, SharedStreamHistory? history, MirrorHealthTracker health, MirrorCounters counters, ILogger logger, TimeProvider time)
{
    private readonly Task<long>[] _writes = new Task<long>[options.MaxBatchSize];
    private readonly TimeSpan _retryInterval = options.RetryInterval;
    private readonly string _channel = options.Channel;
    private readonly TimeSpan _reconnectGracePeriod = options.ReconnectGracePeriod;

    // How long the wait for peers may last beyond the grace period while this mirror's own subscription is missing.
    private static readonly TimeSpan MaxWaitForOwnSubscription = TimeSpan.FromMinutes(1);

    // Subscribers that received the last write on the shared channel, us included; -1 before the first.
    private long _expectedReceivers = -1;

    // Whether the wait for peers is for one subscriber missing from a write, rather than for all after an outage: one that
    // does not come back has most likely stopped, which is no cause for a warning.
    private bool _awaitingMissingReceiver;

    /// <summary>
    /// Writes the batch in order, retrying from the first failed write until every event is sent or stopping gives up. Writes
    /// after a failed one are sent again too, which keeps order; receivers skip the copies by event id.
    /// </summary>
    public async Task SendAsync(WebSocketEvent[] batch, int count, CancellationToken abort)
    {
        using var activity = MirrorTracing.StartSend(_channel, batch, count);
        var writes = _writes;
        var sent = 0;
        var failures = 0;
        var missedReceivers = 0;
        while (sent < count)
        {
            if (abort.IsCancellationRequested)
            {
                Abandon(count - sent);
                break;
            }

            if (!connection.IsConnected)
            {
                health.SetCatchingUp(true);
                await Pause.ForAsync(_retryInterval, time, abort).ConfigureAwait(false);
                continue;
            }

            if (health.IsCatchingUp)
            {
                await AwaitPeersAsync(abort).ConfigureAwait(false);
                if (!connection.IsConnected)
                {
                    continue;
                }
            }

            for (var i = sent; i < count; i++)
            {
                writes[i] = Write(batch[i]);
            }

            if (!await AllCompletedAsync(writes, sent, count, abort).ConfigureAwait(false))
            {
                Abandon(count - sent);
                break;
            }

            var (written, failure, shortOf) = Collect(batch, writes, sent, count);
            Interlocked.Add(ref counters.MirroredOut, written);
            Interlocked.Add(ref counters.Unsent, -written);
            sent += written;
            if (shortOf is { } receivers)
            {
                // Redis took the event, but a subscriber that had the one before did not get it: its subscription is gone
                // for a moment (its node died, or it is reconnecting). Wait for it as after an outage and send again from
                // this event; those that got it skip the copy by its id. Short again right after that wait, the subscriber
                // has gone (or the server counts differently from how it delivers): take the smaller count and go on.
                if (missedReceivers++ == 0)
                {
                    Log.ReceiverMissing(logger, count - sent);
                    _awaitingMissingReceiver = true;
                    health.SetCatchingUp(true);
                }
                else
                {
                    _expectedReceivers = receivers;
                }
            }
            else if (failure is not null)
            {
                Interlocked.Increment(ref counters.RedisErrors);
                if (failures++ == 0)
                {
                    Log.WriteFailed(logger, failure, count - sent);
                }

                health.SetCatchingUp(true);
                health.SetWriteFailing(true);
                await Pause.ForAsync(_retryInterval, time, abort).ConfigureAwait(false);
            }
            else if (failures > 0)
            {
                health.SetWriteFailing(false);
            }
        }

        Array.Clear(batch, 0, count);
        Array.Clear(_writes, 0, count);
    }

    private void Abandon(int count)
    {
        Interlocked.Add(ref counters.Abandoned, count);
        Interlocked.Add(ref counters.Unsent, -count);
    }

    /// <summary>
    /// How many writes from <paramref name="from"/> went to every subscriber before the first that failed (and its failure), or
    /// the first on the shared channel that reached fewer subscribers than the write before it (and how many it reached).
    /// </summary>
    private (int Written, Exception? Failure, long? ShortOf) Collect(WebSocketEvent[] batch, Task<long>[] writes, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            if (!writes[i].IsCompletedSuccessfully)
            {
                return (i - from, writes[i].Exception?.InnerException ?? new OperationCanceledException("The write was cancelled."), null);
            }

            if (connection.UsesSharedChannel(batch[i]) && connection.CountsEverySubscriber)
            {
                var receivers = writes[i].Result;
                if (receivers < _expectedReceivers)
                {
                    return (i - from, null, receivers);
                }

                _expectedReceivers = receivers;
            }
        }

        return (to - from, null, null);
    }

    /// <summary>
    /// Waits for the writes to finish, however each ends (<see cref="Collect"/> reads the outcomes); false when stopping gave up
    /// first, so a hung connection cannot hang the stop.
    /// </summary>
    private static async Task<bool> AllCompletedAsync(Task<long>[] writes, int from, int to, CancellationToken abort)
    {
        await ((Task)Task.WhenAll(new ArraySegment<Task<long>>(writes, from, to - from)))
            .WaitAsync(abort)
            .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        for (var i = from; i < to; i++)
        {
            if (!writes[i].IsCompleted)
            {
                return false;
            }
        }

        return true;
    }

    private Task<long> Write(WebSocketEvent evt)
    {
        try
        {
            var channel = connection.ChannelFor(evt);
            return history is not null ? history.AppendAndPublishAsync(channel, evt.ToUtf8Json(), evt.EventId) : connection.PublishAsync(channel, evt.ToUtf8Json());
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            return Task.FromException<long>(ex);
        }
    }

    /// <summary>
    /// After an outage, holds the buffered events until as many clients are subscribed to the channel as received this
    /// instance's last write before it (or, when nothing was ever written, one besides this instance), so the other instances
    /// are back before the backlog goes out. Gives up after <see cref="RedisMirrorOptions.ReconnectGracePeriod"/> counted
    /// while this mirror is subscribed itself (and at most <see cref="MaxWaitForOwnSubscription"/> more), as an instance that
    /// has gone for good never returns; returns at once when the connection is lost meanwhile, or when stopping.
    /// </summary>
    private async Task AwaitPeersAsync(CancellationToken abort)
    {
        var oneMissing = _awaitingMissingReceiver;
        _awaitingMissingReceiver = false;
        var expected = _expectedReceivers < 0 ? 2 : _expectedReceivers;
        if (expected <= 1 || _reconnectGracePeriod == TimeSpan.Zero || !connection.CountsEverySubscriber)
        {
            // Nobody to wait for, or no wait wanted; or stopping, when this mirror has ended its own subscription and the
            // count it would wait for can never come.
            return;
        }

        // The period counts only while this mirror is subscribed itself: until then the outage is not over (a cluster's
        // failover takes at least its node timeout, 15 s by default), and nobody can be back before it.
        var waited = TimeSpan.Zero;
        var unsubscribed = TimeSpan.Zero;
        var last = time.GetTimestamp();
        var countFailed = false;
        long subscribed = 0;
        while (!abort.IsCancellationRequested && waited < _reconnectGracePeriod && unsubscribed < MaxWaitForOwnSubscription)
        {
            if (!connection.IsConnected || !connection.CountsEverySubscriber)
            {
                // Lost again (the caller waits for the connection), or stopping began.
                return;
            }

            var now = time.GetTimestamp();
            if (connection.IsSubscribed())
            {
                waited += time.GetElapsedTime(last, now);
            }
            else
            {
                unsubscribed += time.GetElapsedTime(last, now);
            }

            last = now;
            try
            {
                subscribed = await connection.SubscriberCountAsync().ConfigureAwait(false);
                if (subscribed >= expected)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Once per wait: during a failover the count fails every time until the slot has a primary again.
                if (!countFailed)
                {
                    countFailed = true;
                    Interlocked.Increment(ref counters.RedisErrors);
                }
            }

            await Pause.ForAsync(TimeSpan.FromMilliseconds(20), time, abort).ConfigureAwait(false);
        }

        if (oneMissing)
        {
            Log.ReceiverLeft(logger, expected, subscribed, _reconnectGracePeriod);
        }
        else
        {
            Log.PeersDidNotReturn(logger, expected, subscribed, _reconnectGracePeriod);
        }

        _expectedReceivers = subscribed;
    }
}
