using EventManager.Redis.Diagnostics;
using Microsoft.Extensions.Logging;

namespace EventManager.Redis;

/// <summary>
/// The outbound side: a listener of the manager whose bounded queue holds this instance's own events, and one loop that writes
/// them to Redis in pipelined batches. Publishing never waits for Redis. During an outage the events wait in the queue (overflow
/// counted) and go out in order once the connection and the other instances are back.
/// </summary>
internal sealed class OutboundBatcher
{
    private readonly WebSocketEventManager _manager;
    private readonly MirrorHealthTracker _health;
    private readonly MirrorCounters _counters;
    private readonly TimeProvider _time;
    private readonly int _maxBatchSize;
    private readonly TimeSpan _maxBatchDelay;
    private readonly EventTypeFilter? _immediateTypes;
    private readonly BatchWriter _writer;
    private readonly EventSubscription _queue;
    private readonly TaskCompletionSource _stopping = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Read by the filter on the manager's dispatcher; written by the loop and by stopping.
    private volatile bool _accepting = true;
    private TaskCompletionSource? _dispatchWatch;

    // Written by the filter on the dispatcher: the sequence of the last event it has seen, own or not.
    private long _lastFiltered;

    // Written by stopping, read by the loop.
    private long _publishedBeforeStop = long.MaxValue;

    public OutboundBatcher(WebSocketEventManager manager, RedisMirrorOptions options, MirrorConnection connection, SharedStreamHistory? history, MirrorHealthTracker health, MirrorCounters counters, ILogger logger)
    {
        _manager = manager;
        _health = health;
        _counters = counters;
        _time = manager.TimeProvider;
        _maxBatchSize = options.MaxBatchSize;
        _maxBatchDelay = options.MaxBatchDelay;
        _immediateTypes = options.ImmediateEventTypes.Count == 0 ? null : EventTypeFilter.Create(options.ImmediateEventTypes, nameof(options.ImmediateEventTypes));
        _writer = new BatchWriter(options, connection, history, health, counters, logger, _time);

        // Own events only: events that came in from Redis carry another instance's origin and must not go back out. Subscribing
        // now means events published while connecting are buffered.
        var instanceId = manager.InstanceId;
        _queue = manager.Subscribe(new ListenerOptions
        {
            Name = "redis-mirror:" + options.Channel,
            Capacity = options.OutboundBufferSize,
            OverflowPolicy = options.OutboundOverflowPolicy,
            Filter = evt =>
            {
                var own = _accepting && string.Equals(evt.OriginId, instanceId, StringComparison.Ordinal);
                Volatile.Write(ref _lastFiltered, evt.Sequence);
                Volatile.Read(ref _dispatchWatch)?.TrySetResult();
                return own;
            },
        });
    }

    /// <summary>Events waiting to be sent: queued, or taken into a batch and not written yet.</summary>
    public int Pending => _queue.Pending + (int)Interlocked.Read(ref _counters.Unsent);

    /// <summary>Events never sent: the queue overflowed, or stopping gave up on them.</summary>
    public long Dropped => _queue.Dropped + Interlocked.Read(ref _counters.Abandoned);

    /// <summary>Whether stopping has begun.</summary>
    public bool IsStopping => _stopping.Task.IsCompleted;

    /// <summary>Stopping begins: the loop sends what was published before now, then ends. Any thread, once.</summary>
    public void BeginStop()
    {
        Volatile.Write(ref _publishedBeforeStop, _manager.GetTotals().Published);
        _stopping.TrySetResult();
    }

    /// <summary>
    /// After the loop has ended: counts what the queue still holds as never sent, then ends the subscription. The filter is closed
    /// by now, so the queue only shrinks; only events dispatched in the moment between the loop's last look and the filter closing
    /// are left.
    /// </summary>
    public void Stop()
    {
        _accepting = false;
        while (_queue.TryRead(out _))
        {
            Interlocked.Increment(ref _counters.Abandoned);
        }

        _queue.Dispose();
    }

    /// <summary>
    /// Takes local events from the queue and writes them in batches: whatever is queued, up to the batch size, goes out in one
    /// pipelined write, so under load a batch fills while the previous one is in flight and when idle nothing waits.
    /// </summary>
    public async Task RunAsync(CancellationToken abort)
    {
        var batch = new WebSocketEvent[_maxBatchSize];
        var count = 0;
        var batchStarted = 0L;
        var sendNow = false;
        CancellationTokenSource? lingering = null;
        Task? lingerDelay = null;
        Task<bool>? ready = null;
        try
        {
            while (!abort.IsCancellationRequested)
            {
                if (_queue.TryRead(out var evt))
                {
                    if (count == 0)
                    {
                        batchStarted = _time.GetTimestamp();
                    }

                    batch[count++] = evt;
                    Interlocked.Increment(ref _counters.Unsent);
                    sendNow |= _immediateTypes?.Matches(evt.EventType) == true;
                    if (count == _maxBatchSize)
                    {
                        EndLinger(ref lingering, ref lingerDelay);
                        await _writer.SendAsync(batch, count, abort).ConfigureAwait(false);
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

                    ready = _queue.WaitToReadAsync(abort).AsTask();
                }

                if (count > 0 && !sendNow && _maxBatchDelay > TimeSpan.Zero && !_stopping.Task.IsCompleted)
                {
                    var remaining = _maxBatchDelay - _time.GetElapsedTime(batchStarted);
                    if (remaining > TimeSpan.Zero)
                    {
                        // One timer per batch, cancelled when the batch goes out, not one per event that arrives meanwhile.
                        lingering ??= CancellationTokenSource.CreateLinkedTokenSource(abort);
                        lingerDelay ??= Task.Delay(remaining, _time, lingering.Token);
                        await Task.WhenAny(ready, lingerDelay, _stopping.Task).ConfigureAwait(false);
                        continue;
                    }
                }

                if (count > 0)
                {
                    EndLinger(ref lingering, ref lingerDelay);
                    await _writer.SendAsync(batch, count, abort).ConfigureAwait(false);
                    count = 0;
                    sendNow = false;
                    continue;
                }

                if (_stopping.Task.IsCompleted)
                {
                    if (await WaitForDispatchBeforeStopAsync(ready).ConfigureAwait(false) || _queue.Pending > 0)
                    {
                        continue;
                    }

                    // Stopping and nothing queued: what is dispatched from now on is not mirrored.
                    _accepting = false;
                    return;
                }

                if (_health.IsCatchingUp)
                {
                    _health.SetCatchingUp(false);
                }

                await Task.WhenAny(ready, _stopping.Task).ConfigureAwait(false);
            }

            if (count > 0)
            {
                await _writer.SendAsync(batch, count, abort).ConfigureAwait(false);
            }
        }
        finally
        {
            EndLinger(ref lingering, ref lingerDelay);
        }
    }

    /// <summary>
    /// An event published before the stop may still be in the manager's ingress queue, or taken by the dispatcher and not yet
    /// filtered; it must pass this listener's filter (to be sent or counted) before the filter closes, or it would be neither.
    /// Every event published before the stop is, in the end, filtered here (sequences have no gaps) or dropped at the ingress.
    /// Waits for the dispatcher's next event (the filter signals every one) or for an own event; returns whether it had to wait.
    /// </summary>
    private async Task<bool> WaitForDispatchBeforeStopAsync(Task<bool> ready)
    {
        // Watch first, then look, so a dispatch in between is not missed.
        var watch = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _dispatchWatch, watch);
        var accounted = Volatile.Read(ref _lastFiltered) + _manager.GetTotals().IngressDropped;
        if (accounted >= Volatile.Read(ref _publishedBeforeStop))
        {
            Interlocked.Exchange(ref _dispatchWatch, null);
            return false;
        }

        await Task.WhenAny(watch.Task, ready).ConfigureAwait(false);
        return true;
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
}
