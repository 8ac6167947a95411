namespace EventManager.Health;

/// <summary>
/// Tells whether a running count (of drops, refusals) rose within a window, as seen by successive health checks.
/// Shared source: compiled into each package that has a health check.
/// </summary>
internal sealed class RecentIncrease(TimeProvider time, TimeSpan window)
{
    private readonly Lock _gate = new();
    private long _lastSeen;
    private DateTimeOffset? _lastRise;

    /// <summary>Records <paramref name="count"/>.</summary>
    /// <returns>Whether it rose since the previous call, or within the window before this call.</returns>
    public bool RoseRecently(long count)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (count > _lastSeen)
            {
                _lastRise = now;
            }

            // A count can fall (a listener removed takes its drops with it): the next rise is measured from there.
            _lastSeen = count;

            return _lastRise is { } rise && now - rise < window;
        }
    }
}
