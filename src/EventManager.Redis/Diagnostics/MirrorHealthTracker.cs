using Microsoft.Extensions.Logging;

namespace EventManager.Redis.Diagnostics;

/// <summary>
/// Works out <see cref="RedisMirrorHealth"/> from what the parts report (started, stopping, stopped, catching up after an
/// outage, writes failing) and whether the connection is up and subscribed; logs each change, Information when connected or
/// stopped, Warning otherwise, and with the cause (<c>describeOutage</c>) when the connection is missing. Any thread.
/// </summary>
internal sealed class MirrorHealthTracker(ILogger logger, string instanceId, string channel, Func<bool> isSubscribed, Func<string> describeOutage)
{
    private readonly Lock _gate = new();
    private RedisMirrorHealth _health = RedisMirrorHealth.Starting;
    private bool _started;
    private bool _stopping;
    private bool _stopped;
    private bool _catchingUp;
    private bool _writeFailing;

    public RedisMirrorHealth Current
    {
        get
        {
            lock (_gate)
            {
                return _health;
            }
        }
    }

    /// <summary>Whether buffered events wait for the other instances after an outage.</summary>
    public bool IsCatchingUp
    {
        get
        {
            lock (_gate)
            {
                return _catchingUp;
            }
        }
    }

    public void MarkStarted() => Set(() => _started = true);

    /// <summary>The mirror is unsubscribing and sending what it holds: the state stays as it is until it has stopped.</summary>
    public void MarkStopping() => Set(() => _stopping = true);

    public void MarkStopped() => Set(() => _stopped = true);

    public void SetCatchingUp(bool value) => Set(() => _catchingUp = value);

    public void SetWriteFailing(bool value) => Set(() => _writeFailing = value);

    public void Refresh()
    {
        RedisMirrorHealth previous;
        RedisMirrorHealth next;
        var connected = isSubscribed();
        lock (_gate)
        {
            previous = _health;
            next = _stopped ? RedisMirrorHealth.Stopped
                : _stopping ? previous
                : !_started ? RedisMirrorHealth.Starting
                : !connected ? RedisMirrorHealth.LocalOnly
                : _catchingUp || _writeFailing ? RedisMirrorHealth.Degraded
                : RedisMirrorHealth.Connected;
            _health = next;
        }

        if (next == previous)
        {
            return;
        }

        if (next == RedisMirrorHealth.LocalOnly)
        {
            Log.Unreachable(logger, instanceId, channel, previous, describeOutage());
        }
        else
        {
            Log.HealthChanged(logger, next is RedisMirrorHealth.Connected or RedisMirrorHealth.Stopped ? LogLevel.Information : LogLevel.Warning, instanceId, channel, previous, next);
        }
    }

    private void Set(Action change)
    {
        lock (_gate)
        {
            change();
        }

        Refresh();
    }
}
