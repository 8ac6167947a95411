namespace EventManager.Redis;

/// <summary>Matches event types against exact names, <c>prefix*</c> patterns and <c>*</c>, as listener filters do.</summary>
internal sealed class EventTypeMatcher
{
    private readonly HashSet<string> _exact = new(StringComparer.Ordinal);
    private readonly List<string> _prefixes = [];
    private readonly bool _all;

    public EventTypeMatcher(IEnumerable<string> patterns)
    {
        foreach (var pattern in patterns)
        {
            if (pattern == "*")
            {
                _all = true;
            }
            else if (pattern.EndsWith('*'))
            {
                _prefixes.Add(pattern[..^1]);
            }
            else
            {
                _exact.Add(pattern);
            }
        }
    }

    public bool Matches(string eventType)
    {
        if (_all || _exact.Contains(eventType))
        {
            return true;
        }

        foreach (var prefix in _prefixes)
        {
            if (eventType.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
