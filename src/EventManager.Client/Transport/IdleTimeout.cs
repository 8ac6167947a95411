namespace EventManager.Client;

/// <summary>
/// Cancels a connection that has received nothing for a while: a server that vanished without closing (a dead host, a
/// dropped route) is otherwise noticed only when TCP gives up, many minutes later. The server sends a heartbeat (or an SSE
/// keep-alive) every 30 seconds by default, so a live connection is never idle that long.
/// </summary>
internal sealed class IdleTimeout : IDisposable
{
    private readonly CancellationTokenSource _cancel;
    private readonly ITimer _timer;
    private TimeSpan _timeout;

    public IdleTimeout(TimeProvider time, TimeSpan timeout, CancellationToken outer)
    {
        _timeout = timeout;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _timer = time.CreateTimer(static state => Expire((CancellationTokenSource)state!), _cancel, timeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Cancelled when the connection has been idle for the timeout, or when the outer token is.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>
    /// Fits the timeout to the heartbeat the server announced (<c>heartbeat_interval_ms</c>): at least three intervals, so a
    /// server with a longer one is not taken for dead between heartbeats; none when it sends no heartbeat, which leaves a
    /// silent connection nothing to tell it by.
    /// </summary>
    public void FitTo(TimeSpan? serverHeartbeat)
    {
        if (serverHeartbeat is not { } heartbeat)
        {
            return;
        }

        _timeout = heartbeat <= TimeSpan.Zero ? Timeout.InfiniteTimeSpan : TimeSpan.FromTicks(Math.Max(_timeout.Ticks, 3 * heartbeat.Ticks));
    }

    /// <summary>Something arrived: the connection is alive; the timeout starts again.</summary>
    public void Touch() => _timer.Change(_timeout, Timeout.InfiniteTimeSpan);

    /// <summary>
    /// The client is busy with what arrived (or waits for room in its queue, which holds the connection back on purpose): no
    /// timeout until the next <see cref="Touch"/>.
    /// </summary>
    public void Pause() => _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    public void Dispose()
    {
        _timer.Dispose();
        _cancel.Dispose();
    }

    private static void Expire(CancellationTokenSource cancel)
    {
        try
        {
            cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection ended as the timer fired.
        }
    }
}
