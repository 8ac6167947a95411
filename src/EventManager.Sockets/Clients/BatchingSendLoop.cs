using System.Runtime.CompilerServices;

namespace EventManager.Sockets;

/// <summary>
/// Sends one WebSocket client its events: with a <see cref="ClientConnectionOptions.BatchWindow"/>, a <c>batch</c> frame of
/// whatever is queued when the socket is free, up to <see cref="ClientConnectionOptions.BatchSize"/> (so no event waits for
/// others, and under load a frame carries what arrived while the previous one was sent); without one, an <c>event</c> frame
/// each. A <c>gap</c> frame goes first whenever the queue dropped events, and a <c>resume</c> frame's outcome when one
/// arrives. The only reader of the client's subscription.
/// </summary>
internal sealed class BatchingSendLoop(ClientConnection connection, ResumeCoordinator resume, WebSocketSender sender, Func<Task<bool>> reportResume)
{
    private readonly ClientConnectionOptions _options = connection.Options;
    private readonly TimeProvider _time = connection.Time;

    // Batches of every client, counted only while InjectedFault.FrameDuplicate is on (static: no field per connection).
    private static long s_batchesWhileDuplicating;

    public async Task RunAsync(CancellationToken token)
    {
        var batch = new List<WebSocketEvent>(_options.BatchSize);

        // Whatever is queued when the socket is free, up to the batch size, without waiting: nothing is gained by holding the
        // first event back, and under load the queue fills while the previous frame is sent, so frames grow by themselves.
        var max = _options.BatchWindow > TimeSpan.Zero ? _options.BatchSize : 1;
        try
        {
            while (true)
            {
                if (resume.HasRequest && await resume.ApplyRequestAsync(token).ConfigureAwait(false))
                {
                    if (!await reportResume().ConfigureAwait(false))
                    {
                        return;
                    }

                    continue;
                }

                if (resume.ReadUnsent(batch, max) == 0)
                {
                    // One token for both ways to be woken, so waiting allocates no task to combine them.
                    var requestOrClose = resume.RequestOrClose(token);
                    if (resume.HasRequest)
                    {
                        continue;
                    }

                    bool more;
                    try
                    {
                        more = await resume.Subscription.WaitToReadAsync(requestOrClose).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!token.IsCancellationRequested)
                    {
                        continue;
                    }

                    if (!more)
                    {
                        return;
                    }

                    continue;
                }

                if (!await SendAsync(batch).ConfigureAwait(false))
                {
                    return;
                }

                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Closing.
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> SendAsync(List<WebSocketEvent> batch)
    {
        using var activity = SocketTracing.StartBatch(connection, batch);
        var missed = resume.TakeNewDrops(out var total);
        if (resume.ClosesOnOverflow(missed))
        {
            return false;
        }

        if (missed > 0)
        {
            var told = InjectedFault.GapMiscount ? missed - 1 : missed;
            var gap = await sender.SendAsync(static (buffer, gap) => Frames.Gap(buffer, gap.told, gap.total), (told, total)).ConfigureAwait(false);
            if (gap < 0)
            {
                return false;
            }

            connection.CountSent(0, gap);
        }

        var duplicated = InjectedFault.FrameDuplicate && Interlocked.Increment(ref s_batchesWhileDuplicating) % 1_000 == 0;
        if (duplicated)
        {
            batch.Add(batch[^1]);
        }

        var length = _options.BatchWindow > TimeSpan.Zero
            ? await sender.SendAsync(static (buffer, state) => Frames.Batch(buffer, state.batch, state.now), (batch, now: _time.GetUtcNow())).ConfigureAwait(false)
            : await sender.SendAsync(static (buffer, evt) => Frames.Event(buffer, evt), batch[0]).ConfigureAwait(false);
        if (duplicated)
        {
            batch.RemoveAt(batch.Count - 1);
        }

        if (length < 0)
        {
            return false;
        }

        resume.RecordSent(batch);
        connection.CountSent(batch.Count, length);
        return true;
    }
}
