namespace EventManager.Sockets;

/// <summary>
/// A token bucket for the frames one client sends: up to <c>rate</c> at once, refilled at <c>rate</c> a second. Used by the
/// receive loop only, so it has no lock.
/// </summary>
internal sealed class FrameRateLimiter
{
    private readonly int _rate;
    private readonly TimeProvider _time;
    private double _tokens;
    private long _lastRefill;

    public FrameRateLimiter(int framesPerSecond, TimeProvider time)
    {
        _rate = framesPerSecond;
        _time = time;
        _tokens = framesPerSecond;
        _lastRefill = time.GetTimestamp();
    }

    /// <summary>Takes a token for one frame; <see langword="false"/> when the client is over its rate.</summary>
    public bool TryTake()
    {
        var now = _time.GetTimestamp();
        _tokens = Math.Min(_rate, _tokens + (_time.GetElapsedTime(_lastRefill, now).TotalSeconds * _rate));
        _lastRefill = now;
        if (_tokens < 1)
        {
            return false;
        }

        _tokens--;
        return true;
    }
}
