namespace EventManager.Sockets;

/// <summary>
/// Sends one WebSocket client its events: up to <see cref="ClientConnectionOptions.BatchSize"/> per <c>batch</c> frame, waiting at
/// most <see cref="ClientConnectionOptions.BatchWindow"/> for a batch to fill (or one <c>event</c> frame each when the window is
/// zero), a <c>gap</c> frame first whenever the queue dropped events, and a <c>resume</c> frame's outcome when one arrives. The
/// only reader of the client's subscription.
/// </summary>
internal sealed class BatchingSendLoop(ClientConnection connection, ResumeCoordinator resume, WebSocketSender sender, Func<Task<bool>> reportResume)
{
    private readonly ClientConnectionOptions _options = connection.Options;
    private readonly TimeProvider _time = connection.Time;

    public async Task RunAsync(CancellationToken token)
    {
        var batch = new List<WebSocketEvent>(_options.BatchSize);
        Task<bool>? ready = null;
        try
        {
            while (true)
            {
                if (resume.HasRequest && await resume.ApplyRequestAsync(token).ConfigureAwait(false))
                {
                    // The subscription may have been replaced: wait on the new one.
                    ready = null;
                    if (!await reportResume().ConfigureAwait(false))
                    {
                        return;
                    }

                    continue;
                }

                if (!resume.TryReadUnsent(out var first))
                {
                    ready ??= resume.Subscription.WaitToReadAsync(token).AsTask();

                    // Take the signal before looking for a request, so one made in between still wakes this wait.
                    var requested = resume.RequestSignal;
                    if (resume.HasRequest)
                    {
                        continue;
                    }

                    await Task.WhenAny(ready, requested).ConfigureAwait(false);
                    if (!ready.IsCompleted)
                    {
                        continue;
                    }

                    var more = await ready.ConfigureAwait(false);
                    ready = null;
                    if (!more)
                    {
                        return;
                    }

                    continue;
                }

                batch.Add(first);
                ready = await FillAsync(batch, ready, token).ConfigureAwait(false);
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

    /// <summary>Adds what arrives within the batch window, up to the batch size; returns the wait still pending, if any.</summary>
    private async Task<Task<bool>?> FillAsync(List<WebSocketEvent> batch, Task<bool>? ready, CancellationToken token)
    {
        if (_options.BatchWindow <= TimeSpan.Zero)
        {
            return ready;
        }

        var started = _time.GetTimestamp();
        Task? window = null;
        while (batch.Count < _options.BatchSize)
        {
            if (resume.TryReadUnsent(out var next))
            {
                batch.Add(next);
                continue;
            }

            var remaining = _options.BatchWindow - _time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                break;
            }

            ready ??= resume.Subscription.WaitToReadAsync(token).AsTask();
            window ??= Task.Delay(remaining, _time, token);
            if (await Task.WhenAny(ready, window).ConfigureAwait(false) != ready)
            {
                break;
            }

            var more = await ready.ConfigureAwait(false);
            ready = null;
            if (!more)
            {
                break;
            }
        }

        return ready;
    }

    private async Task<bool> SendAsync(List<WebSocketEvent> batch)
    {
        var missed = resume.TakeNewDrops(out var total);
        if (resume.ClosesOnOverflow(missed))
        {
            return false;
        }

        if (missed > 0)
        {
            var gap = await sender.SendAsync(static (buffer, gap) => Frames.Gap(buffer, gap.missed, gap.total), (missed, total)).ConfigureAwait(false);
            if (gap < 0)
            {
                return false;
            }

            connection.CountSent(0, gap);
        }

        var length = _options.BatchWindow > TimeSpan.Zero
            ? await sender.SendAsync(static (buffer, state) => Frames.Batch(buffer, state.batch, state.now), (batch, now: _time.GetUtcNow())).ConfigureAwait(false)
            : await sender.SendAsync(static (buffer, evt) => Frames.Event(buffer, evt), batch[0]).ConfigureAwait(false);
        if (length < 0)
        {
            return false;
        }

        resume.RecordSent(batch);
        connection.CountSent(batch.Count, length);
        return true;
    }
}
