using System.Threading.Channels;
using EventManager.Listeners;

namespace EventManager;

/// <summary>The dispatcher: one loop that stamps each event, keeps it in the history and hands it to every listener.</summary>
public sealed partial class WebSocketEventManager
{
    private const int DispatchBatchSize = 64;
    private const int YieldAfterEvents = 1024;

    private async Task DispatchAsync()
    {
        var reader = _ingress.Reader;
        var token = _abort.Token;

        // Events are taken from the ingress in batches so the history and the listener list are read under the history lock
        // once per batch rather than once per event; a batch is only what is already queued, so nothing waits to fill one.
        var batch = new WebSocketEvent[DispatchBatchSize];
        var count = 0;
        var handed = 0;
        try
        {
            // No token here: a cancellable wait cannot reuse the channel's waiter and would allocate on every wake-up.
            // Disposal completes the ingress first, which ends this wait.
            while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                var sinceWait = 0;
                while (!token.IsCancellationRequested)
                {
                    count = TakeBatch(reader, batch);
                    if (count == 0)
                    {
                        break;
                    }

                    var listeners = Record(batch.AsSpan(0, count));
                    for (handed = 0; handed < count && !token.IsCancellationRequested; handed++)
                    {
                        var evt = batch[handed];
                        Volatile.Write(ref _dispatched, evt.Sequence);
                        foreach (var listener in listeners)
                        {
                            if (listener.Accepts(evt) && !listener.TryEnqueue(evt))
                            {
                                await listener.EnqueueAsync(evt, token).ConfigureAwait(false);
                            }
                        }
                    }

                    sinceWait += count;
                    DropUnhanded(batch, ref count, handed);

                    // Handler loops share the thread pool with this loop, which does not wait while the ingress has events:
                    // after a long run without waiting it gives up its thread, so a pool short of threads (a handler blocking
                    // one) still runs the others. Light traffic, where latency matters, never gets this far.
                    if (sinceWait >= YieldAfterEvents)
                    {
                        sinceWait = 0;
                        await Task.Yield();
                    }
                }

                if (token.IsCancellationRequested)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Shutdown gave up while a full Wait listener held the dispatcher.
        }
        finally
        {
            DropUnhanded(batch, ref count, handed);
            while (reader.TryRead(out _))
            {
                Interlocked.Increment(ref _ingressDropped);
            }

            lock (_gate)
            {
                foreach (var listener in _registry.Values)
                {
                    listener.Complete();
                }
            }
        }
    }

    /// <summary>On the dispatcher: takes up to a batch of queued events and stamps them with the next sequence numbers.</summary>
    private int TakeBatch(ChannelReader<WebSocketEvent> reader, WebSocketEvent[] batch)
    {
        var count = 0;
        while (count < batch.Length && reader.TryRead(out var evt))
        {
            var sequence = _sequence + 1;
            if (!evt.TryStamp(sequence, InstanceId))
            {
                Interlocked.Increment(ref _ingressDropped);
                Log.PublishedTwice(_logger, evt.EventId);
                continue;
            }

            _sequence = sequence;
            batch[count++] = evt;
        }

        return count;
    }

    /// <summary>
    /// On the dispatcher, after a batch: events an aborted shutdown kept from some listeners are counted as dropped, and the
    /// buffer lets go of the events, which stay reachable only through the queues and the history.
    /// </summary>
    private void DropUnhanded(WebSocketEvent[] batch, ref int count, int handed)
    {
        if (handed < count)
        {
            Interlocked.Add(ref _ingressDropped, count - handed);
        }

        Array.Clear(batch, 0, count);
        count = 0;
    }

    private async Task DrainAsync()
    {
        await _dispatcher.ConfigureAwait(false);
        Task[] loops;
        lock (_gate)
        {
            loops = [.. _registry.Values.Select(l => l.Completion)];
        }

        await Task.WhenAll(loops).ConfigureAwait(false);
    }
}
