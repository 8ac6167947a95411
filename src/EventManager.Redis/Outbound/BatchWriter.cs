using System.Runtime.InteropServices;
using EventManager.Redis.Diagnostics;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace EventManager.Redis;

/// <summary>
/// Writes the outbound loop's batches to Redis, pipelined and in order. While all is well a batch is written without waiting
/// for the replies to the batches before it (up to <see cref="InFlightBatches"/> batches), and each reply is checked as it
/// comes; after a write that failed or reached fewer subscribers, or an outage, it sends one batch at a time, retrying from
/// the first failed write until every event is sent or stopping gives up, and first waits for the other instances to be
/// back. Used by that loop only.
/// </summary>
internal sealed class BatchWriter(RedisMirrorOptions options, MirrorConnection connection, SharedStreamHistory? history, MirrorHealthTracker health, MirrorCounters counters, ILogger logger, TimeProvider time)
{
    // Enough for a late reply not to hold the writes behind it while the loop keeps a batch filling.
    private const int InFlightBatches = 4;

    private readonly TimeSpan _retryInterval = options.RetryInterval;
    private readonly string _channel = options.Channel;
    private readonly TimeSpan _reconnectGracePeriod = options.ReconnectGracePeriod;

    private readonly InFlightWrites _inFlight = new(InFlightBatches * options.MaxBatchSize);

    // Sending in turn: what was in flight from its first unconfirmed write, then the batch, and their writes.
    private readonly WebSocketEvent[] _inTurn = new WebSocketEvent[(InFlightBatches + 1) * options.MaxBatchSize];
    private readonly Task<long>[] _writes = new Task<long>[(InFlightBatches + 1) * options.MaxBatchSize];

    // Subscribers that received the last write on the shared channel, us included; -1 before the first.
    private long _expectedReceivers = -1;

    // Whether the wait for peers is for one subscriber missing from a write, rather than for all after an outage: one that
    // does not come back has most likely stopped, which is no cause for a warning.
    private bool _awaitingMissingReceiver;

    /// <summary>How a write ended: on every subscriber (that is counted), failed, or on fewer subscribers than the one before.</summary>
    private enum Outcome
    {
        Reached,
        Failed,
        Short,
    }

    /// <summary>Whether writes are waiting for their replies.</summary>
    public bool HasInFlight => _inFlight.Count > 0;

    /// <summary>The oldest write whose reply has not been read, for the loop to wait on when it has nothing else to do.</summary>
    public Task OldestInFlight => _inFlight.OldestWrite;

    /// <summary>
    /// Writes the batch after everything written before it. While connected, not catching up and with every reply so far as
    /// expected, this returns once the writes are issued; otherwise it settles what is in flight and sends in turn.
    /// </summary>
    public async Task SendAsync(WebSocketEvent[] batch, int count, CancellationToken abort)
    {
        using var activity = MirrorTracing.StartSend(_channel, batch, count);
        if (connection.IsConnected && !health.IsCatchingUp && ConfirmCompleted())
        {
            while (_inFlight.Room < count)
            {
                if (!await ConfirmOldestAsync(abort).ConfigureAwait(false))
                {
                    break;
                }
            }

            if (_inFlight.Room >= count && !abort.IsCancellationRequested)
            {
                for (var i = 0; i < count; i++)
                {
                    _inFlight.Add(batch[i], Write(batch[i]));
                }

                Array.Clear(batch, 0, count);
                return;
            }
        }

        await SettleAsync(batch, count, abort).ConfigureAwait(false);
        Array.Clear(batch, 0, count);
    }

    /// <summary>Waits for every reply in flight and sends again from the first write that failed or fell short, in turn.</summary>
    public Task FlushAsync(CancellationToken abort) => HasInFlight ? SettleAsync([], 0, abort) : Task.CompletedTask;

    /// <summary>
    /// Reads the replies that have come, oldest first, counting each write that reached every subscriber as sent; false at the
    /// first that failed or fell short, which stays in flight for <see cref="FlushAsync"/> to send again.
    /// </summary>
    public bool ConfirmCompleted()
    {
        while (HasInFlight && _inFlight.OldestWrite.IsCompleted)
        {
            if (OutcomeOf(_inFlight.OldestEvent, _inFlight.OldestWrite) != Outcome.Reached)
            {
                return false;
            }

            _inFlight.RemoveOldest();
            Interlocked.Increment(ref counters.MirroredOut);
            Interlocked.Decrement(ref counters.Unsent);
        }

        return true;
    }

    private async Task<bool> ConfirmOldestAsync(CancellationToken abort)
    {
        await OldestInFlight.WaitAsync(abort).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return !abort.IsCancellationRequested && ConfirmCompleted();
    }

    /// <summary>
    /// Waits for every reply in flight, counts those that reached every subscriber, and sends in turn what follows the first
    /// that did not, then the batch. That first write is handled as if the turn had just written it.
    /// </summary>
    private async Task SettleAsync(WebSocketEvent[] batch, int count, CancellationToken abort)
    {
        var failures = 0;
        var missedReceivers = 0;
        if (HasInFlight)
        {
            if (!await _inFlight.AllCompletedAsync(abort).ConfigureAwait(false))
            {
                Abandon(_inFlight.Count + count);
                _inFlight.Clear();
                return;
            }

            if (!ConfirmCompleted())
            {
                var first = _inFlight.OldestWrite;
                if (first.IsCompletedSuccessfully)
                {
                    OnReceiverMissing(_inFlight.Count + count);
                    missedReceivers = 1;
                }
                else
                {
                    await OnWriteFailedAsync(first.Exception?.InnerException ?? new OperationCanceledException("The write was cancelled."), _inFlight.Count + count, log: true, abort).ConfigureAwait(false);
                    failures = 1;
                }
            }
        }

        var pending = _inFlight.MoveEventsTo(_inTurn);
        Array.Copy(batch, 0, _inTurn, pending, count);
        await SendInTurnAsync(_inTurn, pending + count, failures, missedReceivers, abort).ConfigureAwait(false);
        Array.Clear(_inTurn, 0, pending + count);
    }

    /// <summary>
    /// Writes the events in order and waits for the replies, retrying from the first failed write until every event is sent or
    /// stopping gives up. Writes after a failed one are sent again too, which keeps order; receivers skip the copies by event
    /// id. <paramref name="failures"/> and <paramref name="missedReceivers"/> carry what the writes before this turn met.
    /// </summary>
    private async Task SendInTurnAsync(WebSocketEvent[] batch, int count, int failures, int missedReceivers, CancellationToken abort)
    {
        var writes = _writes;
        var sent = 0;
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
                // Short again right after the wait for the missing subscriber: it has gone (or the server counts differently
                // from how it delivers): take the smaller count and go on.
                if (missedReceivers++ == 0)
                {
                    OnReceiverMissing(count - sent);
                }
                else
                {
                    _expectedReceivers = receivers;
                }
            }
            else if (failure is not null)
            {
                await OnWriteFailedAsync(failure, count - sent, log: failures++ == 0, abort).ConfigureAwait(false);
            }
            else if (failures > 0)
            {
                health.SetWriteFailing(false);
            }
        }

        Array.Clear(writes, 0, count);
    }

    /// <summary>
    /// Redis took the event, but a subscriber that had the one before did not get it: its subscription is gone for a moment
    /// (its node died, or it is reconnecting). Wait for it as after an outage and send again from this event; those that got
    /// it skip the copy by its id.
    /// </summary>
    private void OnReceiverMissing(int unsent)
    {
        Log.ReceiverMissing(logger, unsent);
        _awaitingMissingReceiver = true;
        health.SetCatchingUp(true);
    }

    /// <summary>A failed write: counted, logged when it is the first of its turn, and retried after <see cref="RedisMirrorOptions.RetryInterval"/>.</summary>
    private async Task OnWriteFailedAsync(Exception failure, int unsent, bool log, CancellationToken abort)
    {
        Interlocked.Increment(ref counters.RedisErrors);
        if (log)
        {
            Log.WriteFailed(logger, failure, unsent);
        }

        health.SetCatchingUp(true);
        health.SetWriteFailing(true);
        await Pause.ForAsync(_retryInterval, time, abort).ConfigureAwait(false);
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
            switch (OutcomeOf(batch[i], writes[i]))
            {
                case Outcome.Failed:
                    return (i - from, writes[i].Exception?.InnerException ?? new OperationCanceledException("The write was cancelled."), null);
                case Outcome.Short:
                    return (i - from, null, writes[i].Result);
            }
        }

        return (to - from, null, null);
    }

    /// <summary>How a completed write ended; a write on the shared channel that reached every subscriber sets how many to expect next.</summary>
    private Outcome OutcomeOf(WebSocketEvent evt, Task<long> write)
    {
        if (!write.IsCompletedSuccessfully)
        {
            return Outcome.Failed;
        }

        if (connection.UsesSharedChannel(evt) && connection.CountsEverySubscriber)
        {
            if (write.Result < _expectedReceivers)
            {
                return Outcome.Short;
            }

            _expectedReceivers = write.Result;
        }

        return Outcome.Reached;
    }

    /// <summary>
    /// Waits for the writes to finish, however each ends (<see cref="Collect"/> reads the outcomes); false when stopping gave up
    /// first, so a hung connection cannot hang the stop.
    /// </summary>
    internal static async Task<bool> AllCompletedAsync(Task<long>[] writes, int from, int to, CancellationToken abort)
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
            return history is not null ? history.AppendAndPublishAsync(channel, Payload(evt), evt.EventId) : connection.PublishAsync(channel, Payload(evt));
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

    /// <summary>
    /// After an outage, holds the buffered events until as many clients are subscribed to the channel as received this
    /// instance's last write before it (or, when nothing was ever written, one besides this instance), so the other instances
    /// are back before the backlog goes out. Gives up after <see cref="RedisMirrorOptions.ReconnectGracePeriod"/>, as an
    /// instance that has gone for good never returns.
    /// </summary>
    private async Task AwaitPeersAsync(CancellationToken abort)
    {
        var oneMissing = _awaitingMissingReceiver;
        _awaitingMissingReceiver = false;
        var expected = _expectedReceivers < 0 ? 2 : _expectedReceivers;
        if (expected <= 1 || _reconnectGracePeriod == TimeSpan.Zero)
        {
            return;
        }

        // The period counts only while this mirror is subscribed itself: until then the outage is not over (a cluster's
        // failover takes at least its node timeout, 15 s by default), and nobody can be back before it.
        var waited = TimeSpan.Zero;
        var last = time.GetTimestamp();
        long subscribed = 0;
        while (!abort.IsCancellationRequested && waited < _reconnectGracePeriod)
        {
            var now = time.GetTimestamp();
            if (connection.IsSubscribed())
            {
                waited += time.GetElapsedTime(last, now);
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
                Interlocked.Increment(ref counters.RedisErrors);
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
