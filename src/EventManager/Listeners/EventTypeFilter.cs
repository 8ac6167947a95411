using System.Collections.Frozen;

namespace EventManager;

/// <summary>
/// Matches event types against patterns: an exact name (<c>agent_message</c>), a prefix ending in <c>*</c>
/// (<c>voice.*</c> matches <c>voice.started</c>), or <c>*</c> alone for everything. Comparison is ordinal. The one pattern
/// language of the library: <see cref="ListenerOptions.EventTypes"/>, the Redis mirror's immediate types and socket
/// clients' filters all use it. Immutable and safe to share between threads.
/// </summary>
public sealed class EventTypeFilter
{
    private readonly FrozenSet<string> _exact;
    private readonly string[] _prefixes;
    private readonly bool _matchesAll;

    private EventTypeFilter(FrozenSet<string> exact, string[] prefixes, bool matchesAll)
    {
        _exact = exact;
        _prefixes = prefixes;
        _matchesAll = matchesAll;
    }

    /// <summary>A filter that matches every event type.</summary>
    public static EventTypeFilter All { get; } = new(FrozenSet<string>.Empty, [], matchesAll: true);

    /// <summary>Whether the filter matches every event type.</summary>
    public bool MatchesAll => _matchesAll;

    /// <summary>Builds a filter from patterns.</summary>
    /// <param name="patterns">The patterns; an empty list matches nothing.</param>
    /// <param name="paramName">The parameter name reported for an invalid pattern.</param>
    /// <returns>The filter.</returns>
    /// <exception cref="ArgumentException">A pattern is empty or has <c>*</c> anywhere but at its end.</exception>
    public static EventTypeFilter Create(IEnumerable<string> patterns, string paramName = "eventTypes")
    {
        ArgumentNullException.ThrowIfNull(patterns, paramName);
        var exact = new HashSet<string>(StringComparer.Ordinal);
        var prefixes = new List<string>();
        var matchesAll = false;
        foreach (var pattern in patterns)
        {
            if (string.IsNullOrWhiteSpace(pattern) || pattern.AsSpan(0, pattern.Length - 1).Contains('*'))
            {
                throw new ArgumentException($"The event type pattern '{pattern}' is invalid: use a name, a prefix ending in '*', or '*'.", paramName);
            }

            if (pattern == "*")
            {
                matchesAll = true;
            }
            else if (pattern[^1] == '*')
            {
                prefixes.Add(pattern[..^1]);
            }
            else
            {
                exact.Add(pattern);
            }
        }

        return new EventTypeFilter(exact.ToFrozenSet(StringComparer.Ordinal), [.. prefixes], matchesAll);
    }

    /// <summary>Whether an event type matches.</summary>
    /// <param name="eventType">The event type.</param>
    /// <returns><see langword="true"/> when a pattern matches it.</returns>
    public bool Matches(string eventType)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        if (_matchesAll || _exact.Contains(eventType))
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
